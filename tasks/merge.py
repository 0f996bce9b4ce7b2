"""Three-way merge of an edit form that lost a race (issue 14).

The form carries `base`, the values the user started from (signed, so a forged one is
ignored). When another save lands first, each field is judged on its own: changed by one
side only, that side wins; changed by both to different values, it clashes and the user
chooses. Values are compared in the form's spelling (tasks.forms.task_form_data).
"""

from collections.abc import Callable, Mapping

from django import forms
from django.core import signing

SALT = "tasks.merge.base"


def base_token(values: Mapping[str, str]) -> str:
    return signing.dumps(dict(values), salt=SALT, compress=True)


def base_values(token: str) -> dict[str, str] | None:
    """The values a base token holds, or None if it is missing or not ours."""
    try:
        values = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def three_way(
    *,
    base: Mapping[str, str] | None,
    mine: Mapping[str, str],
    theirs: Mapping[str, str],
    same: Callable[[str, str, str], bool],
) -> tuple[dict[str, str], list[str]]:
    """(merged values, clashing fields). A clash keeps mine; without a base, every field
    the two sides hold differently clashes. `same(field, a, b)` compares two values."""
    merged, clashes = {}, []
    for field, value in mine.items():
        stored = theirs[field]
        started = None if base is None else base.get(field)
        if same(field, value, stored) or (started is not None and same(field, value, started)):
            merged[field] = stored  # both agree, or only they changed it
        elif started is not None and same(field, stored, started):
            merged[field] = value  # only I changed it
        else:
            merged[field] = value
            clashes.append(field)
    return merged, clashes


# --- edit forms ------------------------------------------------------------------------


class VersionedEditForm(forms.Form):
    """An edit form that carries the version and the values the user started from.

    Subclasses say how an object's editable values are spelled in the form (`values_of`)
    and how its cleaned data is spelled back (`edited_values`), so the two compare.
    """

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    base = forms.CharField(required=False, widget=forms.HiddenInput)

    kind = "object"
    clashes: list[str] = []

    @staticmethod
    def values_of(obj) -> dict[str, str]:
        raise NotImplementedError

    def edited_values(self) -> dict[str, str]:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        self.base = base_values(cleaned.pop("base", ""))
        return cleaned

    def shown(self, current, field: str, value: str) -> str:
        """How a stored value reads beside the user's."""
        if not value:
            return "(empty)"
        if isinstance(self.fields[field], forms.ChoiceField):
            value = str(dict(self.fields[field].choices).get(value, value))
        return value if len(value) <= 200 else f"{value[:200]}…"


def edit_data(form_class: type[VersionedEditForm], obj) -> dict:
    """An object's stored values as its edit form's initial data, version and base included."""
    values = form_class.values_of(obj)
    return {**values, "expected_version": obj.version, "base": base_token(values)}


def edit_merge(form: VersionedEditForm, current) -> tuple[dict[str, str], list[str]]:
    """A valid edit form that lost the race to `current`: (merged values, clashes)."""
    theirs = form.values_of(current)
    return three_way(base=form.base, mine=form.edited_values(), theirs=theirs, same=_same)


def merged_data(form_class: type[VersionedEditForm], current, merged: dict) -> dict:
    """Bound data for the edit form: the merged values, against the current version."""
    return edit_data(form_class, current) | merged


def show_clashes(form: VersionedEditForm, current, clashes: list[str]) -> VersionedEditForm:
    """Mark a form bound to merged_data as clashing: each clashing field shows the stored
    value under the user's, and the form says what happened."""
    stored = form.values_of(current)
    for field in clashes:
        form.fields[field].saved_meanwhile = form.shown(current, field, stored[field])
    form.clashes = clashes
    form.add_error(
        None,
        f"Someone saved this {form.kind} while you were editing it. What only one of you "
        "changed is merged. Where you both changed a field, the form keeps yours and shows "
        "theirs under it: Keep mine saves the form as it is, Use theirs drops your changes.",
    )
    return form


def _same(field: str, one: str, other: str) -> bool:
    if field == "tags":  # a set of names in any letter case, as services.tags_resolve
        return _tag_keys(one) == _tag_keys(other)
    return one.strip() == other.strip() if field == "title" else one == other


def _tag_keys(text: str) -> set[str]:
    return {" ".join(name.split()).lower() for name in text.split(",") if name.strip()}
