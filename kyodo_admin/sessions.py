"""kyodo's database sessions.

``KyodoSession`` is the class of kyodo's own sessions (``db.session``, and any a background
thread opens). The tenancy, audit, notice and derived-field listeners are bound to it, never
to SQLAlchemy's ``Session``: a host application that installs kyodo beside its own models
keeps sessions that see none of them.

``Session`` is the one type a service takes for its database session: the request's scoped
session or a plain one (a background thread, a test)."""

from __future__ import annotations

from typing import Any, TypeAlias

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session


class KyodoSession(FlaskSession):
    """A session of kyodo's: its listeners fire for this class and its instances only."""


Session: TypeAlias = OrmSession | scoped_session[Any]
