"""Account pages: signup, login, logout and profile."""

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import forms, services


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("tasks:dashboard")
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to TaskFlow, {user.get_short_name()}!")
            return redirect("tasks:dashboard")
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = forms.LoginForm
    redirect_authenticated_user = True


logout = auth_views.LogoutView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = forms.ProfileForm(request.POST or None, initial={"full_name": request.user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
    return _render_profile(request, profile_form=form)


@login_required
@require_POST
def password_change(request):
    form = forms.PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            services.user_password_change(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            update_session_auth_hash(request, request.user)  # keep this session only
            messages.success(request, "Your password was changed. Other sessions were signed out.")
            return redirect("accounts:profile")
    return _render_profile(request, password_form=form)


def _render_profile(request, *, profile_form=None, password_form=None):
    context = {
        "profile_form": profile_form
        or forms.ProfileForm(initial={"full_name": request.user.full_name}),
        "password_form": password_form or forms.PasswordChangeForm(),
    }
    return render(request, "accounts/profile.html", context)
