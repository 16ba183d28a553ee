"""The session engine (`SESSION_ENGINE`): Django's database sessions, with
the save that restarts the idle clock as one statement.

Every request saves the session (`SESSION_SAVE_EVERY_REQUEST`), so that
`SESSION_COOKIE_AGE` counts from the last request: the idle timeout. Django
saves an existing session with BEGIN, UPDATE, COMMIT; a single UPDATE is
atomic by itself, so it is sent alone, two statements fewer on every
signed-in request. Same row, same values, same refusal when the session
was deleted meanwhile (`UpdateError`, which the middleware turns into a
400); creating a session is Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import router


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        row = self.create_model_instance(self._get_session())
        using = router.db_for_write(self.model, instance=row)
        updated = (
            self.model.objects.using(using)
            .filter(session_key=row.session_key)
            .update(session_data=row.session_data, expire_date=row.expire_date)
        )
        if not updated:
            raise UpdateError
        return None
