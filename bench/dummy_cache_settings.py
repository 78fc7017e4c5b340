"""The settings as shipped, with Django's dummy cache (nothing kept): for measuring pages as
they are built."""

from maca.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
