"""DRF's content negotiation, remembered per Accept header.

Parsing and matching the Accept header was about a twentieth of a cached API request
(bench/README.md, "Levers"); clients send the same few headers all day. The choice is
DRF's own, made once per distinct (Accept header, renderers) and then looked up.
"""

from rest_framework.negotiation import DefaultContentNegotiation

# Enough for every client in use; past it, further headers are negotiated each time, so a
# client inventing headers cannot grow the memory.
REMEMBERED_CHOICES = 256


class RememberedContentNegotiation(DefaultContentNegotiation):
    # (Accept header, renderer classes) -> (index of the chosen renderer, media type)
    _chosen: dict[tuple, tuple[int, str]] = {}

    def select_renderer(self, request, renderers, format_suffix=None):
        if format_suffix or self.settings.URL_FORMAT_OVERRIDE in request.query_params:
            return super().select_renderer(request, renderers, format_suffix)
        key = (request.META.get("HTTP_ACCEPT"), tuple(type(renderer) for renderer in renderers))
        chosen = self._chosen.get(key)
        if chosen is not None:
            index, media_type = chosen
            return renderers[index], media_type
        # A 406 (NotAcceptable) is raised here and never remembered.
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        if len(self._chosen) < REMEMBERED_CHOICES:
            self._chosen[key] = (renderers.index(renderer), media_type)
        return renderer, media_type
