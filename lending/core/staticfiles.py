"""Static files as production serves them (WhiteNoise's compressed manifest storage), each file's URL worked out once
per process.

Django's manifest storage works a static file's URL out on every ``{% static %}``: it splits, unquotes, looks the
name up in the manifest, joins and quotes again (25-50 us). Every page asks for the same few files (four on a
staff page, eighteen on an admin page), and the manifest cannot change under a running process: it is read once,
when the storage is made (issue 15, "Load").
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

# More than every static file the templates and form media name: a bound, in case a name ever came from a request.
URLS_KEPT = 1024


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Per storage: a new storage (override_settings, collectstatic) reads its manifest and starts afresh.
        self._url_of = lru_cache(maxsize=URLS_KEPT)(self._url_now)

    def url(self, name, force=False):
        # DEBUG in the key: with DEBUG on, Django's storage answers the unhashed name.
        return self._url_of(name, force, settings.DEBUG)

    def _url_now(self, name, force, debug):
        return super().url(name, force)

    def post_process(self, *args, **kwargs):
        # collectstatic makes the manifest afresh: no URL of the old one is kept
        self._url_of.cache_clear()
        yield from super().post_process(*args, **kwargs)
        self._url_of.cache_clear()
