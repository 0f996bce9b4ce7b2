"""Tags: created on first use, unique per owner ignoring letter case."""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from tasks import cache
from tasks.models import Tag


def tag_names_clean(names: Iterable[str]) -> list[str]:
    """Names with spaces collapsed and duplicates (any case) dropped; over 50 letters is refused."""
    unique: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": [f"Tag names have at most 50 characters: {name!r}."]})
        unique.setdefault(name.lower(), name)
    return list(unique.values())


def tag_keys(names: Iterable[str]) -> set[str]:
    """Tag names as tags_resolve matches them: cleaned, in any letter case."""
    return {name.lower() for name in tag_names_clean(names)}


def tags_resolve(*, owner: User, names: Iterable[str]) -> list[Tag]:
    """The owner's tags with these names (any letter case), creating the missing ones."""
    wanted = tag_names_clean(names)
    if not wanted:
        return []

    def existing() -> dict[str, Tag]:
        keys = [name.lower() for name in wanted]
        # Exact names too: SQLite's LOWER() folds ASCII letters only ("Été").
        matches = Tag.objects.alias(key=Lower("name")).filter(
            Q(key__in=keys) | Q(name__in=wanted), owner=owner
        )
        return {tag.name.lower(): tag for tag in matches}

    found = existing()
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        _check_room(owner, len(missing))
        # ignore_conflicts: a concurrent request may create the same tag first.
        Tag.objects.bulk_create(
            [Tag(owner=owner, name=name) for name in missing], ignore_conflicts=True
        )
        cache.owners_changed(owner_ids=[owner.pk])  # bulk_create sends no signal
        found = existing()
    return [found[name.lower()] for name in wanted]


def _tag_save(tag: Tag, **save_options) -> Tag:
    """Validate and save a tag; a name the owner already uses, in any case, is a `name` error."""
    try:
        tag.full_clean()
    except ValidationError as error:
        # The unique constraint is on Lower("name"), an expression, so full_clean reports it
        # as a non-field error; it is about the name.
        raise ValidationError(
            {
                "name" if field == NON_FIELD_ERRORS else field: messages
                for field, messages in error.message_dict.items()
            }
        ) from error
    try:
        with transaction.atomic():
            tag.save(**save_options)
    except IntegrityError as error:  # a concurrent request took the name first
        raise ValidationError({"name": ["You already have a tag with this name."]}) from error
    return tag


def tag_create(*, owner: User, name: str) -> Tag:
    """Create a tag; its name must be new for this owner, ignoring case."""
    _check_room(owner, 1, field="name")
    return _tag_save(Tag(owner=owner, name=" ".join(name.split())))


def tags_missing(*, owner: User, names: Iterable[str]) -> list[str]:
    """Those of these names (cleaned, one per letter case) the owner has no tag for: one
    query, over at most TAGS_PER_ACCOUNT_MAX names."""
    have = {name.lower() for name in Tag.objects.filter(owner=owner).values_list("name", flat=True)}
    wanted = {name.lower(): name for name in tag_names_clean(names)}
    return [name for key, name in wanted.items() if key not in have]


def tags_room(*, owner: User) -> int:
    """How many more tags the owner may have (TAGS_PER_ACCOUNT_MAX)."""
    return max(settings.TAGS_PER_ACCOUNT_MAX - Tag.objects.filter(owner=owner).count(), 0)


def _check_room(owner: User, new: int, *, field: str = "tags") -> None:
    if new > tags_room(owner=owner):
        limit = settings.TAGS_PER_ACCOUNT_MAX
        raise ValidationError(
            {field: [f"An account has at most {limit:,} tags: delete some you no longer use."]}
        )


def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename a tag, keeping names unique per owner."""
    tag.name = " ".join(name.split())
    return _tag_save(tag, update_fields=["name"])


def tag_delete(*, tag: Tag) -> None:
    """Delete a tag; tasks and notes keep everything but the label."""
    tag.delete()
