"""The session store: Django's database sessions, read by one plain statement instead of a queryset compiled on every
request (a session is read by every request of a logged-in resident or staff member; compiling ``Session.objects.get``
cost more than running it). Writes, expiry and everything else are Django's own (``SESSION_ENGINE``)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError, connections, router
from django.utils import timezone

_READ = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s"


class SessionStore(DatabaseStore):
    def _get_session_from_db(self) -> Any:
        try:
            key = self.session_key
            if not key:
                raise Session.DoesNotExist
            connection = connections[router.db_for_read(Session) or "default"]
            with connection.cursor() as cursor:
                cursor.execute(_READ, [key, connection.ops.adapt_datetimefield_value(timezone.now())])
                row = cursor.fetchone()
            if row is None:
                raise Session.DoesNotExist
            return Session(session_key=key, session_data=row[0])
        except (Session.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):
                logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            self._session_key = None
            return None

    def save(self, must_create: bool = False) -> None:
        """Django's, except that a database out of reach is not "the session was deleted meanwhile": Django reads any
        database error of the update as that (UpdateError, answered 400 by its middleware), so a session saved while
        PostgreSQL restarts would be a 400. The error itself goes on, and the middleware answers it with the 503 it
        is (core.middleware.SessionMiddleware)."""
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            cause = exc.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise
