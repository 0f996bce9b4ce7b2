from django.contrib import admin, messages
from django.db.models import Count

from tasks import services
from tasks.models import Note, Tag, Task


class OwnerContentAdmin(admin.ModelAdmin):
    """Staff read users' content and act through services; edits here would bypass them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(OwnerContentAdmin):
    list_display = ["title", "owner", "status", "priority", "due_date", "updated_at", "version"]
    list_filter = ["status", "priority", "due_date", "created_at", "completed_at"]
    search_fields = ["title", "description", "owner__email", "owner__full_name"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "tags"]
    list_select_related = ["owner"]
    readonly_fields = ["created_at", "updated_at", "completed_at", "version"]
    actions = ["mark_done"]
    show_full_result_count = False  # a COUNT(*) over every task on each page is wasteful

    @admin.action(description="Mark selected tasks as done", permissions=["mark_done"])
    def mark_done(self, request, queryset):
        done = 0
        for task in queryset.exclude(status=Task.Status.DONE).select_related("owner"):
            services.task_complete(task=task)
            done += 1
        self.message_user(request, f"{done} task(s) marked as done.", messages.SUCCESS)

    def has_mark_done_permission(self, request) -> bool:
        # The form stays read-only for everyone (writes go through services), so the action
        # asks for the model's change permission itself, not this admin's (always False).
        return request.user.has_perm("tasks.change_task")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "task_count", "created_at"]
    search_fields = ["name", "owner__email"]
    list_filter = ["created_at"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(task_count=Count("tasks"))

    @admin.display(ordering="task_count", description="Tasks")
    def task_count(self, tag):
        return tag.task_count


@admin.register(Note)
class NoteAdmin(OwnerContentAdmin):
    list_display = ["title", "owner", "task", "updated_at"]
    list_filter = ["created_at", "updated_at"]
    search_fields = ["title", "body", "owner__email"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "task", "tags"]
    list_select_related = ["owner", "task"]
    readonly_fields = ["created_at", "updated_at"]
