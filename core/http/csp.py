"""django-csp's middleware, without rebuilding the same policy for every response.

django-csp 4.0 builds the enforced and the report-only policy from settings on every
response, a twentieth of a cached API request. Only a nonce (a page that used
request.csp_nonce) or a view's @csp_update/@csp_replace/@csp changes the result; every
other response gets the policy built once per process. Those responses go the library's
way, as do all of them with DEBUG on or EXCLUDE_URL_PREFIXES in settings.
"""

from functools import cached_property

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings

FROM_SETTINGS_ALONE = PolicyParts()  # no per-view config, update, replace, nor nonce


class PrebuiltCSPMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if (
            settings.DEBUG
            or self._uses_prefixes
            or any(
                self.get_policy_parts(request, response, report_only) != FROM_SETTINGS_ALONE
                for report_only in (False, True)
            )
        ):
            return super().process_response(request, response)
        for header, policy, exempt in (
            (HEADER, self._policy, "_csp_exempt"),
            (HEADER_REPORT_ONLY, self._report_only_policy, "_csp_exempt_ro"),
        ):
            if policy and header not in response and not getattr(response, exempt, False):
                response[header] = policy
        # As the library does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    @cached_property
    def _policy(self) -> str:
        return build_policy()

    @cached_property
    def _report_only_policy(self) -> str:
        return build_policy(report_only=True)

    @cached_property
    def _uses_prefixes(self) -> bool:
        return any(
            (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
            for name in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
        )
