"""``/healthz`` for a load balancer: 200 while the database and the queue answer, else 503."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .. import queue
from ..extensions import db, limiter
from ..services.notices import failing_scans

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
@limiter.exempt
def healthz() -> Any:
    checks = {"database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy", said without detail
        log.exception("health check: the database does not answer")
        checks["database"] = "unreachable"
    finally:
        db.session.rollback()
    checks["queue"] = "ok" if queue.check(current_app) else "unreachable"
    healthy = all(value == "ok" for value in checks.values())
    # A city's failing notice scan is told, without naming it; the machine still serves.
    notices = "unknown"
    if checks["database"] == "ok":
        try:
            notices = "failing" if failing_scans(db.session) else "ok"
        except Exception:  # noqa: BLE001 - before the table exists (an upgrade under way)
            log.exception("health check: the job status could not be read")
            notices = "unknown"
        finally:
            db.session.rollback()
    response = jsonify(status="ok" if healthy else "error", notices=notices, **checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
