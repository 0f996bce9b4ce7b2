"""A serializer base whose declared fields both document the output and build it."""

import functools

from rest_framework import serializers


# DRF's generic to_representation costs about 28 µs a task (20 tasks: 761 µs against
# 200 µs for a hand-built dict, 11 % of an uncached list request); two definitions of one
# shape drifted, so the declared fields stay the only one and this skips the generic part.
class DirectSerializer(serializers.Serializer):
    """Writes each declared field, with its own to_representation, from a dict or object.

    Only plain dotless sources and fields that need no context.
    """

    @classmethod
    @functools.cache
    def writers(cls) -> tuple:
        """(name, source, write) per declared field, built once per class."""
        return tuple(
            (name, field.source, _none_kept(field.to_representation))
            for name, field in cls().fields.items()
            if not field.write_only
        )

    def to_representation(self, instance):
        if isinstance(instance, dict):  # a .values() row must carry every field: KeyError
            return {name: write(instance[source]) for name, source, write in self.writers()}
        return {name: write(getattr(instance, source)) for name, source, write in self.writers()}


def _none_kept(write):
    """None stays None, as in DRF's own to_representation."""
    return lambda value: None if value is None else write(value)


class EveryFieldRequired:
    """A PUT's input: the whole writable representation. Where the create serializer would
    fill a missing field with its default (resetting what is stored), this one refuses it;
    the schema then lists every field as required."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if not field.read_only:
                field.required = True
        return fields
