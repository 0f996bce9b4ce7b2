"""Every row write of a task, tag or note retires the owner's cached copies (tasks.cache),
whichever door it came through. (Their task counts are kept by the database: migration
0007's triggers.)

Named senders only: a receiver for every model would stop Django's fast deletes everywhere.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from tasks import cache
from tasks.models import Note, Tag, Task, TaskCounts


@receiver(post_save, sender=Task, dispatch_uid="tasks.task_saved")
@receiver(post_delete, sender=Task, dispatch_uid="tasks.task_deleted")
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


@receiver(post_save, sender=User, dispatch_uid="tasks.owner_created")
def counts_start(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        TaskCounts.objects.get_or_create(owner=instance)
