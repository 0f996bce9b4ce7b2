"""Test run: fast hashing and in-memory email. DATABASE_URL and REDIS_URL still apply."""

from .base import *  # noqa: F403

DEBUG = False
# Argon2 costs ~0.2 s a hash; one test checks the real list (PASSWORD_HASHERS_PRODUCTION).
PASSWORD_HASHERS_PRODUCTION = PASSWORD_HASHERS  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# django-otp doubles a wait after each wrong code (from 1 s); tests that enter a
# wrong code and then the right one would have to sleep. One test restores the delay.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_THROTTLE_FACTOR = 0

# Background jobs run in the test process even when REDIS_URL is set; the worker test
# (tests/test_celery_worker.py) starts a real worker with CELERY_TASK_ALWAYS_EAGER=false.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405

# Export and import files in one folder the test process and a test worker both see.
DATA_FILES_ROOT = env.path("DATA_FILES_ROOT", default=BASE_DIR / "artifacts" / "test-data-files")  # noqa: F405
STORAGES = {**STORAGES, "data": {**DATA_STORAGE, "OPTIONS": {"location": str(DATA_FILES_ROOT)}}}  # noqa: F405
