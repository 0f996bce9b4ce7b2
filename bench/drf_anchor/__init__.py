"""The default-DRF anchor's URLs, views and serializers (bench/drf_settings.py)."""
