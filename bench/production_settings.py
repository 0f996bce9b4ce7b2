"""config.settings.production, unchanged except where collectstatic writes.

Production's CompressedManifestStaticFilesStorage needs a manifest for any page that uses
{% static %}; a deploy runs collectstatic into staticfiles/. The benchmark must not write
outside bench/, so the collected files go to bench/.staticfiles instead.
"""

from config.settings.production import *  # noqa: F403
from config.settings.production import BASE_DIR

STATIC_ROOT = BASE_DIR / "bench" / ".staticfiles"
