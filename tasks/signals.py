"""Every row write of a task, tag or note retires the owner's cached copies (tasks.cache)
and keeps their task counts (tasks.counts) exact, whichever door it came through.

Named senders only: a receiver for every model would stop Django's fast deletes everywhere.
"""

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save
from django.dispatch import receiver

from accounts.models import User
from tasks import cache, counts
from tasks.models import Note, Tag, Task, TaskCounts

# The bucket a loaded task was counted in, so a save that moves it can move the count.
COUNTED_AS = "counted_as"


@receiver(post_save, sender=Tag, dispatch_uid="tasks.tag_saved")
@receiver(post_delete, sender=Tag, dispatch_uid="tasks.tag_deleted")
@receiver(post_save, sender=Note, dispatch_uid="tasks.note_saved")
@receiver(post_delete, sender=Note, dispatch_uid="tasks.note_deleted")
def owner_content_changed(sender, instance, origin=None, **kwargs):
    if isinstance(origin, User):
        return  # the owner is being deleted: nothing of theirs is shown again
    cache.owners_changed(owner_ids=[instance.owner_id])


@receiver(m2m_changed, sender=Task.tags.through, dispatch_uid="tasks.task_tags_changed")
@receiver(m2m_changed, sender=Note.tags.through, dispatch_uid="tasks.note_tags_changed")
def tags_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        # From either side (task.tags or tag.tasks): both belong to the same owner.
        cache.owners_changed(owner_ids=[instance.owner_id])


@receiver(post_init, sender=Task, dispatch_uid="tasks.task_loaded")
def remember_bucket(sender, instance, **kwargs):
    loaded = instance.pk is not None and not {"status", "archived_at"} & set(
        instance.get_deferred_fields()
    )
    setattr(instance, COUNTED_AS, counts.bucket(instance) if loaded else None)


@receiver(post_save, sender=Task, dispatch_uid="tasks.task_saved")
def task_saved(sender, instance, created, update_fields=None, **kwargs):
    now = counts.bucket(instance)
    before = None if created else getattr(instance, COUNTED_AS, None)
    if created:
        counts.counts_moved(owner_id=instance.owner_id, moves={now: 1})
    elif before is None:  # loaded without its status: recount rather than guess
        counts.counts_rebuild(owner_ids=[instance.owner_id])
    elif before != now:
        counts.counts_moved(owner_id=instance.owner_id, moves={before: -1, now: 1})
    setattr(instance, COUNTED_AS, now)
    cache.owners_changed(owner_ids=[instance.owner_id])


@receiver(post_delete, sender=Task, dispatch_uid="tasks.task_deleted")
def task_deleted(sender, instance, origin=None, **kwargs):
    if isinstance(origin, User):
        return  # the owner's counts row goes with them
    was = getattr(instance, COUNTED_AS, None) or counts.bucket(instance)
    counts.counts_moved(owner_id=instance.owner_id, moves={was: -1})
    cache.owners_changed(owner_ids=[instance.owner_id])


@receiver(post_save, sender=User, dispatch_uid="tasks.owner_created")
def counts_start(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        TaskCounts.objects.get_or_create(owner=instance)
