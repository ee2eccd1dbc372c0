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


#: Seconds a new worker may take to start (a busy machine): not counted in a render's limit.
START_TIMEOUT = 60.0


def _started() -> bool:
    """Run first in a new worker: the renderers are imported before any limit counts."""
    from . import render  # noqa: F401 - imported for its start-up cost

    return True


def _get_pool(memory: int) -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            pool = ProcessPoolExecutor(max_workers=1,
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_limit_worker, initargs=(memory,))
            try:
                pool.submit(_started).result(timeout=START_TIMEOUT)
            except (FutureTimeout, BrokenProcessPool) as exc:
                pool.shutdown(wait=False, cancel_futures=True)
                raise RenderError("作成プロセスを開始できませんでした。しばらくしてからもう一度"
                                  "お試しください。") from exc
            _pool = pool
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


#: A mail text may render to at most this many characters (subject and body each).
MAX_TEXT_CHARS = 100_000
#: Seconds a mail text may take to render.
TEXT_TIMEOUT = 5.0
_text_env: Any = None


def _render_texts_in_worker(sources: tuple[str, ...], context: dict[str, Any],
                            what: str) -> list[str]:
    """Plain texts (mail subjects and bodies) rendered in the limited worker, each stopped as
    soon as it passes MAX_TEXT_CHARS; RenderError in Japanese for any failure."""
    global _text_env
    from jinja2 import TemplateError
    from jinja2.sandbox import SecurityError

    from .messages import describe
    from .render import make_environment

    if _text_env is None:
        _text_env = make_environment(autoescape=False)
    rendered = []
    source = ""
    try:
        for source in sources:
            parts, size = [], 0
            for piece in _text_env.from_string(source).generate(context):
                size += len(piece)
                if size > MAX_TEXT_CHARS:
                    raise RenderError(f"{what}が長すぎます（{MAX_TEXT_CHARS:,}文字まで）。"
                                      "繰り返しや文字列の長さを見直してください。")
                parts.append(piece)
            rendered.append("".join(parts))
    except MemoryError:
        raise RenderError(f"{what}の処理に必要なメモリが上限を超えました。") from None
    except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError) as exc:
        raise RenderError(_where_in_text(exc, sources, source) + describe(exc, what=what)) from None
    return rendered


def _where_in_text(exc: BaseException, sources: tuple[str, ...], source: str) -> str:
    """「本文の3行目「…」: 」: the part (a mail's 件名 or 本文) and line an error is at."""
    from .messages import template_line

    part = ("件名", "本文")[sources.index(source)] if len(sources) == 2 else "文面"
    line = template_line(exc)
    lines = source.splitlines()
    if not line or line > len(lines):
        return f"{part}: "
    shown = lines[line - 1].strip()
    return f"{part}の{line}行目「{shown[:40]}{'…' if len(shown) > 40 else ''}」: "


def _in_worker(function: Any, *args: Any, timeout: float, memory: int = DEFAULT_MEMORY,
               what: str = "テンプレート", kind: str = "テンプレート") -> Any:
    """``function(*args)`` in the limited worker: RenderError in Japanese when it outlasts
    ``timeout`` (the worker is replaced) or the worker dies (its memory limit)."""
    future = _get_pool(memory).submit(function, *args)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout as exc:
        _reset_pool()
        raise RenderError(f"{what}の処理が{timeout:g}秒を超えたため中止しました。"
                          f"繰り返しの多い{kind}でないか確認してください。") from exc
    except BrokenProcessPool as exc:
        _reset_pool()
        raise RenderError(f"{what}の処理中に作成プロセスが異常終了しました"
                          "（メモリ上限を超えた可能性があります）。") from exc


def render_texts_limited(sources: tuple[str, ...], context: dict[str, Any],
                         what: str = "メール文面", timeout: float | None = None) -> list[str]:
    """Texts rendered where a runaway loop or a huge text cannot hold this process: the
    limited worker, a time limit and an output size limit (RenderError when one is hit)."""
    return list(_in_worker(_render_texts_in_worker, sources, context, what, what=what,
                           kind="文面", timeout=TEXT_TIMEOUT if timeout is None else timeout))


def render_limited(data: bytes, context: dict[str, Any], timeout: float = DEFAULT_TIMEOUT,
                   memory: int = DEFAULT_MEMORY) -> bytes:
    """``render`` in the limited worker; RenderError for a template that breaks a limit."""
    return bytes(_in_worker(_render_in_worker, data, context, timeout=timeout, memory=memory))
