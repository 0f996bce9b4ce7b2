"""Sentry error reporting, switched on by SENTRY_DSN (config.settings.production)."""

import os


def sentry_init(
    *,
    dsn: str,
    environment: str = "production",
    traces_sample_rate: float = 0.0,
    transport=None,
) -> bool:
    """Turn Sentry on when a DSN is configured; return whether it is on.

    No personal data is sent (no cookies, user emails or IPs); events carry the request id
    as a tag (core.http.middleware). `transport` exists for tests: nothing leaves the machine.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations import DidNotEnable
    from sentry_sdk.integrations.django import DjangoIntegration

    integrations = [DjangoIntegration()]
    try:
        from sentry_sdk.integrations.celery import CeleryIntegration

        integrations.append(CeleryIntegration())
    except (ImportError, DidNotEnable):
        pass
    options = {
        "dsn": dsn,
        "integrations": integrations,
        "environment": environment,
        "send_default_pii": False,
        # None, not 0: a zero rate still starts an (unsampled) transaction per request.
        "traces_sample_rate": traces_sample_rate or None,
    }
    # Render and Railway name the deployed commit; SENTRY_RELEASE wins (the SDK reads it).
    release = os.environ.get("RENDER_GIT_COMMIT") or os.environ.get("RAILWAY_GIT_COMMIT_SHA")
    if release and not os.environ.get("SENTRY_RELEASE"):
        options["release"] = release
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True
