"""Background work on a task queue (Huey), run by ``kyodo worker`` processes.

``KYODO_QUEUE_URL`` says where the queue lives:

- ``sqlite:///PATH`` — a file beside the database (the default, ``instance/queue.sqlite3``):
  one machine, as ``make run`` (web server and one worker together);
- ``redis://HOST:PORT/DB`` — a Redis every web and worker machine reaches (production);
- ``immediate`` — no queue: a task runs as it is enqueued (the tests).

A task names its records by id and reads them itself, so any worker on any machine can run
it; what it produces is in the database (a batch's progress and documents), so any web
process shows it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from .config import ConfigError
from .errors import KyodoError


def make_queue(url: str) -> Huey:
    if url == "immediate":
        return MemoryHuey("kyodo", immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("kyodo", url=url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("kyodo", filename=str(path))
    raise ConfigError(f"KYODO_QUEUE_URL「{url}」は使えません。sqlite:///ファイル、"
                      "redis://ホスト:ポート/番号、immediate のいずれかです。")


def init_app(app: Flask) -> None:
    """The app's queue and its tasks (each task runs inside this app's context)."""
    queue = make_queue(app.config["KYODO_QUEUE_URL"])
    from .services.audit import Actor
    from .services.batches import run_batch
    from .services.queued import run_work

    @queue.task(name="kyodo.run_batch")
    def run_batch_task(batch_id: int, city_id: int, user_id: int | None, actor: str) -> None:
        run_batch(app, batch_id, city_id, Actor(user_id, actor))

    @queue.task(name="kyodo.run_work")
    def run_work_task(work_id: int, city_id: int, user_id: int | None, actor: str) -> None:
        run_work(app, work_id, city_id, Actor(user_id, actor))

    @queue.periodic_task(crontab(minute="*/10"), name="kyodo.notices")
    def notices_task() -> None:
        """Today's reminders and the outbox, every 10 minutes (kyodo notices send)."""
        from .extensions import db
        from .services.notices import run_notices

        with app.app_context():
            try:
                run_notices(app)
            finally:
                db.session.remove()

    app.extensions["kyodo_queue"] = queue
    app.extensions["kyodo_tasks"] = {"run_batch": run_batch_task, "run_work": run_work_task}


def queue_of(app: Flask | None = None) -> Huey:
    queue: Huey = (app or current_app).extensions["kyodo_queue"]
    return queue


class QueueUnavailable(KyodoError):
    """The queue did not take the task (its server does not answer)."""


def enqueue(name: str, *args: Any) -> None:
    """Put a task on the queue; QueueUnavailable, with a message, when it does not answer."""
    task = current_app.extensions["kyodo_tasks"][name]
    if queue_of().immediate:
        # Run now, but as a worker would: in a thread of its own, outside this request (its
        # transactions, its SQLite write lock).
        worker = threading.Thread(target=task.call_local, args=args, name=f"kyodo-{name}")
        worker.start()
        worker.join()
        return
    try:
        task(*args)
    except Exception as exc:  # noqa: BLE001 - the queue's own errors (connection refused…)
        raise QueueUnavailable(
            "作業の受付（キュー）に接続できません。しばらくしてからもう一度お試しください。"
            "続く場合はシステム管理者に連絡してください。") from exc


def unreachable(url: str) -> str:
    """What an operator is told when the queue at ``url`` does not answer."""
    return f"キュー（KYODO_QUEUE_URL: {url}）に接続できません。Redis が動いているかを確かめてください。"


def check(app: Flask) -> bool:
    """Whether the queue answers (for /healthz)."""
    queue = queue_of(app)
    if queue.immediate:
        return True
    try:
        queue.pending_count()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True
