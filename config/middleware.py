"""Project-wide middleware."""

from django.conf import settings
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    """Send an HTMX request whose session expired to the login page as a whole page.

    htmx follows a 302 inside its request and would swap the login form into a table row;
    HX-Redirect makes the browser navigate instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response


class NoStoreAuthenticatedMiddleware:
    """Keep pages and API answers meant for one signed-in user out of every cache.

    Applies to a request with a signed-in session user or an Authorization header, unless the
    view chose its own Cache-Control. Static files never get here: whitenoise answers them
    earlier, with their own long-lived Cache-Control.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
        return response
