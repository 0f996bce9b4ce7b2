"""Serializer fields and value formats shared by every API app."""

from rest_framework import serializers


class StringField(serializers.CharField):
    """A CharField for JSON strings only (DRF's own turns 5 or 1.5 into text), whose
    max_length counts the string as sent, as the schema's maxLength does: DRF would count
    it after trimming, and accept 150 characters of name padded with spaces."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
