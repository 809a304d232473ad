"""Sessions read from the shared cache and written through to the database (Django's ``cached_db``), which go on
from the database while the cache is down.

Django's store already survives a failed cache read and a failed write after a save; but putting a session read
from the database back into the cache, and looking a new session key up there, raise, so every signed-in page and
every sign-in would answer 500 for as long as Redis is away, although the database holds every session. Here those
two log the failure and carry on. Signing out still fails loudly when the cache cannot forget the session: a
session the cache kept would outlive its sign-out there.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # the cache is an optimisation: any failure reads the database
            logger.exception("Error reading a session from the cache (%s)", self._cache)
            return super(cached_db.SessionStore, self).load()  # the database's own load
        if data is not None:
            return data
        session = self._get_session_from_db()
        if not session:
            return {}
        data = self.decode(session.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=session.expire_date))
        except Exception:  # the session is read; the next request reads the database again
            logger.exception("Error saving a session to the cache (%s)", self._cache)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:  # the database knows every session key
            logger.exception("Error looking a session key up in the cache (%s)", self._cache)
        return super(cached_db.SessionStore, self).exists(session_key)
