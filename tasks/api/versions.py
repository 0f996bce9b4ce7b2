"""Versions on the wire: ETags, If-Match and If-None-Match, for tasks and notes alike.

An object's ETag is `"<id>-<version>"` (Task.etag, Note.etag). A write with If-Match goes
through only at that version (412 otherwise); a read with If-None-Match at the current
version answers 304.
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from core.api.exceptions import PreconditionFailed
from core.api.schema import ErrorSerializer
from tasks.services import VersionConflict

ETAG = re.compile(r'"(?P<pk>[0-9]+)-(?P<version>[0-9]+)"')

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        'Write only if the object is still at this version: its ETag, e.g. `"12-3"` '
        "(a `W/` prefix and a comma-separated list are accepted; `*` means any). "
        "Without it the write proceeds."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag the client holds; if the object is unchanged the answer is 304.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 304, 412],
    description='The object\'s current version, `"<id>-<version>"`.',
)
PRECONDITION_FAILED = OpenApiResponse(
    ErrorSerializer,
    description="If-Match names another version (or is not one of our ETags); nothing "
    "was written. The ETag header carries the current version.",
)
NOT_MODIFIED = OpenApiResponse(description="Unchanged since the If-None-Match ETag; no body.")


def _entity_tags(header: str) -> list[str]:
    """The tags of an If-Match/If-None-Match list, weak ones (W/, added by gzip) as strong."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",")]


def not_modified(request, etag: str) -> bool:
    """Whether If-None-Match names the object's current version, `etag` (or is `*`)."""
    header = request.headers.get("If-None-Match")
    return header is not None and (header.strip() == "*" or etag in _entity_tags(header))


def expected_version(request, obj) -> int | None:
    """The version If-Match asks the write to find: None for no header or `*`.

    Raises PreconditionFailed when no listed tag can match this task, including tags not in
    our `"<id>-<version>"` format. The service compares the version under a row lock.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for tag in _entity_tags(header):
        match = ETAG.fullmatch(tag)
        if match is None:
            raise PreconditionFailed("If-Match is not an ETag of this API.", etag=obj.etag)
        if int(match["pk"]) == obj.pk:
            versions.add(int(match["version"]))
    if not versions:
        raise PreconditionFailed(etag=obj.etag)
    # The service checks one version: the current one if listed (it may still move on
    # before the lock), otherwise any, which then fails with the current ETag.
    return obj.version if obj.version in versions else max(versions)


class VersionedWrites:
    """For an OwnedViewSet whose objects carry `version` and `etag`, and whose services take
    the object by the keyword `object_name` and an `expected_version`."""

    object_name: str

    def versioned_write(self, service, obj, **changes):
        """Run `service` on the object if If-Match allows; a stale version answers 412."""
        version = expected_version(self.request, obj)
        try:
            return service(**{self.object_name: obj}, expected_version=version, **changes)
        except VersionConflict as conflict:
            raise PreconditionFailed(etag=conflict.current.etag) from conflict

    def not_modified_response(self, etag: str) -> Response | None:
        if not_modified(self.request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return None
