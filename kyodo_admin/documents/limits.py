"""Renders in a worker process with a time and a memory limit.

The Jinja sandbox stops attribute tricks but not work: nested loops or a huge
string can hold a web worker for minutes. Renders run in one long-lived
worker process (its compiled-template cache stays warm) whose address space is
capped with ``RLIMIT_AS``; a render that takes longer than the time limit has
its worker killed and replaced.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .render import RenderError, render

DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY = 1024 * 1024 * 1024  # 1 GiB of address space for the worker

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _limit_worker(memory: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """The render worker ends when the process that started it is gone (killed, or ended
    without its exit handlers), instead of living on as an orphan."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _render_in_worker(data: bytes, context: dict[str, Any]) -> bytes:
    try:
        return render(data, context)
    except MemoryError as exc:
        raise RenderError("テンプレートの処理に必要なメモリが上限を超えました。"
                          "繰り返しや文字列の長さを見直してください。") from exc


def _get_pool(memory: int) -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_limit_worker, initargs=(memory,))
        return _pool


def _reset_pool() -> None:
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


atexit.register(_reset_pool)


def render_limited(data: bytes, context: dict[str, Any], timeout: float = DEFAULT_TIMEOUT,
                   memory: int = DEFAULT_MEMORY) -> bytes:
    """``render`` in the limited worker; RenderError for a template that breaks a limit."""
    future = _get_pool(memory).submit(_render_in_worker, data, context)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout as exc:
        _reset_pool()
        raise RenderError(f"テンプレートの処理が{timeout:g}秒を超えたため中止しました。"
                          "繰り返しの多いテンプレートでないか確認してください。") from exc
    except BrokenProcessPool as exc:
        _reset_pool()
        raise RenderError("テンプレートの処理中に作成プロセスが異常終了しました"
                          "（メモリ上限を超えた可能性があります）。") from exc
