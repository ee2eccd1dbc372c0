"""Warm PDF converters: LibreOffice kept running, a few per process, reachable by it alone.

Starting LibreOffice costs about a second a document; a converter that is already running
answers in a fraction of that. Each process (web worker, ``kyodo worker``) starts up to
``KYODO_PDF_POOL`` converters on its first PDF (0 turns the pool off). A converter is
``converter_process.py`` run in isolated mode by a Python that has LibreOffice's ``uno``
module (``KYODO_PDF_PYTHON``), with its own profile, fonts and job folders in a private
folder (``pdf.private_dir``); it takes documents on its stdin and gives PDFs on its stdout, and
its LibreOffice listens on a 0700 Unix socket: no port another account (or a request forged
through the app) can reach. A conversion that outlasts ``KYODO_PDF_TIMEOUT`` has the
converter stopped; a converter found dead, or that fails mid-conversion, is replaced and the
document tried once more on the new one. When no converter can start (no ``uno``), ``convert``
answers None and the caller converts with a LibreOffice of its own, as before the pool.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

from .pdf import PDF_FILTER, TIMEOUT, offline_prefix, private_dir, soffice

log = logging.getLogger(__name__)

#: Converters a process keeps (``KYODO_PDF_POOL``); 0 turns the pool off.
SIZE = int(os.environ.get("KYODO_PDF_POOL", 1))
#: A Python that can import LibreOffice's ``uno`` (Debian: python3-uno).
PYTHON = os.environ.get("KYODO_PDF_PYTHON", "/usr/bin/python3")
#: Seconds a converter may take to start.
START_TIMEOUT = 60
#: The converter's program, run by PYTHON (never imported here).
SCRIPT = Path(__file__).with_name("converter_process.py")


class ConverterFailed(RuntimeError):
    """A converter did not start or did not convert."""


def _read(stream: IO[bytes], size: int, deadline: float) -> bytes:
    """``size`` bytes from the converter's stdout, or ConverterFailed at the deadline."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    left = size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            raise ConverterFailed("the converter did not answer in time")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise ConverterFailed("the converter exited")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Converter:
    """One converter process and its LibreOffice."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.folder: Path | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.stop()
        # A new folder each start: a LibreOffice left over from a killed one must not be
        # handed this one's work through a shared profile.
        self.starts += 1
        base = self.folder = private_dir(f"pool{self.index}-{self.starts}-")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base),
               "TMPDIR": str(base), "FONTCONFIG_FILE": str(base / "fonts.conf"),
               "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(
            [*offline_prefix(), PYTHON, "-I", str(SCRIPT), soffice() or "soffice", str(base),
             PDF_FILTER],
            env=env, cwd=base, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, umask=0o077,
            start_new_session=True)  # its LibreOffice in its group: one kill stops both
        assert self.process.stdout is not None
        try:
            ready = _read(self.process.stdout, 6, time.monotonic() + START_TIMEOUT)
        except ConverterFailed as exc:
            self.stop()
            raise ConverterFailed(f"the converter did not start ({PYTHON}): {exc}") from exc
        if ready != b"READY\n":
            self.stop()
            raise ConverterFailed("the converter did not start")

    def convert(self, docx: bytes) -> bytes:
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            raise ConverterFailed("the converter is not running")
        deadline = time.monotonic() + TIMEOUT
        try:
            process.stdin.write(struct.pack(">Q", len(docx)) + docx)
            process.stdin.flush()
        except OSError as exc:
            raise ConverterFailed(f"the converter is gone ({exc})") from exc
        try:
            head = _read(process.stdout, 9, deadline)
            data = _read(process.stdout, struct.unpack(">Q", head[1:])[0], deadline)
        except ConverterFailed:
            self.stop()  # hung or dead: its LibreOffice goes with it
            raise
        if head[:1] != b"P" or not data.startswith(b"%PDF"):
            raise ConverterFailed("the converter answered without a PDF: "
                                  + data[:200].decode("utf-8", "replace"))
        return data

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            for pipe in (self.process.stdin, self.process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
            self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class Pool:
    def __init__(self, size: int) -> None:
        self.idle: queue.Queue[Converter] = queue.Queue()
        self.converters = [Converter(i) for i in range(size)]
        for converter in self.converters:
            self.idle.put(converter)
        self.broken = False  # no converter could start: convert cold from now on

    def convert(self, docx: bytes) -> bytes | None:
        if self.broken:
            return None
        try:
            converter = self.idle.get(timeout=TIMEOUT)
        except queue.Empty:
            return None  # every converter busy for too long: convert cold
        try:
            if not converter.alive() and not self._start(converter):
                return None
            try:
                return converter.convert(docx)
            except Exception as exc:  # noqa: BLE001 - died, hung, refused: replace it
                log.warning("PDF converter %s failed (%s); starting a new one",
                            converter.index, exc)
            if not self._start(converter):
                return None
            try:
                return converter.convert(docx)
            except Exception:  # noqa: BLE001 - this document, on a fresh converter
                log.warning("PDF converter %s failed again; converting cold", converter.index)
                return None
        finally:
            self.idle.put(converter)

    def _start(self, converter: Converter) -> bool:
        try:
            converter.start()
        except Exception:  # noqa: BLE001 - no uno, no LibreOffice: go cold
            log.exception("PDF converters cannot start; converting without them")
            converter.stop()
            self.broken = True
            return False
        return True

    def stop(self) -> None:
        for converter in self.converters:
            converter.stop()


_pools: dict[int, Pool] = {}  # by process id: a forked process starts its own
_lock = threading.Lock()


def pool() -> Pool | None:
    if SIZE <= 0:
        return None
    with _lock:
        if os.getpid() not in _pools:
            _pools[os.getpid()] = Pool(SIZE)
        return _pools[os.getpid()]


def convert(docx: bytes) -> bytes | None:
    """The PDF from a warm converter, or None when the pool is off or cannot convert."""
    current = pool()
    return current.convert(docx) if current is not None else None


def stop() -> None:
    with _lock:
        current = _pools.pop(os.getpid(), None)
    if current is not None:
        current.stop()


atexit.register(stop)
