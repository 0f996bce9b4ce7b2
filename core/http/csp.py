"""The Content-Security-Policy header from django-csp's settings, built once per process.

django-csp 4.0's middleware rebuilds both policies from settings for every response, a
fifteenth of a cached API request (bench/README.md, "Levers"). This one builds them with
django-csp's public `build_policy` when the process starts, and again only for a
response whose page used `request.csp_nonce` (Swagger UI's, with its inline code).
Settings as django-csp documents them (CONTENT_SECURITY_POLICY, ..._REPORT_ONLY); its
per-view decorators are not read: a view that needs another policy changes the settings.
"""

import base64
import http
import secrets

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.conf import settings


class Nonce:
    """This response's nonce, made the first time a template shows it."""

    def __init__(self):
        self.value: str | None = None
        self.sealed = False  # the header is written: a nonce made now would be in no header

    def __str__(self) -> str:
        if self.value is None:
            if self.sealed:
                raise CSPNonceError("request.csp_nonce was first read after the CSP header")
            self.value = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
        return self.value


class ContentSecurityPolicyMiddleware:
    """Send the enforced and the report-only policy on every response that has none yet."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policies = {HEADER: build_policy(), HEADER_REPORT_ONLY: build_policy(report_only=True)}

    def __call__(self, request):
        request.csp_nonce = nonce = Nonce()
        response = self.get_response(request)
        nonce.sealed = True
        debug_page = settings.DEBUG and response.status_code in (
            http.HTTPStatus.NOT_FOUND,
            http.HTTPStatus.INTERNAL_SERVER_ERROR,
        )
        if debug_page:  # Django's debug pages have inline styles, as django-csp allows
            return response
        for header, prebuilt in self.policies.items():
            policy = prebuilt
            if nonce.value is not None:
                policy = build_policy(nonce=nonce.value, report_only=header == HEADER_REPORT_ONLY)
            if policy and header not in response:
                response[header] = policy
        return response
