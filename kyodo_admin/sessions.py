"""The one type a service takes for its database session: the request's scoped session
(``db.session``) or a plain one (a background thread, a test)."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

Session: TypeAlias = OrmSession | scoped_session[Any]
