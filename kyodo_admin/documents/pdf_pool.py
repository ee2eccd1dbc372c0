"""Warm PDF converters: LibreOffice kept running behind unoserver, a few per process.

Starting LibreOffice costs about a second a document; a converter that is already running
answers in a fraction of that. Each process (web worker, ``kyodo worker``) starts up to
``KYODO_PDF_POOL`` converters on its first PDF (0 turns the pool off), each an unoserver
(run by a Python that has LibreOffice's ``uno`` module, ``KYODO_PDF_PYTHON``) with its own
LibreOffice profile, ports and the Mincho font aliases. A conversion that outlasts
``KYODO_PDF_TIMEOUT`` has its LibreOffice stopped by unoserver; a converter found dead, or
that fails mid-conversion, is replaced and the document tried once more on the new one.
When no converter can start (no ``uno``, no unoserver), ``convert`` answers None and the
caller converts with a LibreOffice of its own, as before the pool.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from .pdf import TIMEOUT, _profile_dir, soffice

log = logging.getLogger(__name__)

#: Converters a process keeps (``KYODO_PDF_POOL``); 0 turns the pool off.
SIZE = int(os.environ.get("KYODO_PDF_POOL", 1))
#: A Python that can import LibreOffice's ``uno`` (Debian: python3-uno).
PYTHON = os.environ.get("KYODO_PDF_PYTHON", "/usr/bin/python3")
#: Seconds a converter may take to start.
START_TIMEOUT = 60


#: How a converter is run: unoserver's own main, with a thread that stops the converter's
#: whole process group (unoserver and its LibreOffice) when the process that started it is
#: gone, even killed (SIGKILL runs no exit handler there).
WATCHED_SERVER = """
import os, signal, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os.killpg(0, signal.SIGKILL)
threading.Thread(target=watch, daemon=True).start()
sys.argv[0] = "unoserver"
from unoserver.server import main
main()
"""


class ConverterFailed(RuntimeError):
    """A converter did not start or did not convert."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unoserver_path() -> Path:
    """A folder holding only unoserver (and its metadata), for the other Python's path: the
    package is pure Python; the rest of this environment is not for that interpreter."""
    spec = importlib.util.find_spec("unoserver")
    if spec is None or not spec.submodule_search_locations:
        raise ConverterFailed("unoserver is not installed")
    package = Path(next(iter(spec.submodule_search_locations)))
    shim = _profile_dir("-unoserver") / "path"
    shim.mkdir(parents=True, exist_ok=True)
    for source in [package, *package.parent.glob("unoserver-*.dist-info")]:
        link = shim / source.name
        if not link.exists():
            link.symlink_to(source)
    return shim


class Converter:
    """One unoserver and its LibreOffice."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0
        self.profile: Path | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.stop()
        # A new profile each start: a LibreOffice left over from a killed one must not be
        # handed this one's work through their shared profile.
        self.starts += 1
        base = self.profile = _profile_dir(f"-pool{self.index}-{self.starts}")
        self.port, uno_port = _free_port(), _free_port()
        env = {**os.environ, "PYTHONPATH": str(_unoserver_path()),
               "FONTCONFIG_FILE": str(base / "fonts.conf"), "HOME": str(base)}
        self.process = subprocess.Popen(
            [PYTHON, "-c", WATCHED_SERVER, "--port", str(self.port), "--uno-port",
             str(uno_port), "--user-installation", str(base / "profile"),
             "--executable", soffice() or "soffice", "--conversion-timeout", str(TIMEOUT)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # its LibreOffice in its group: one kill stops both
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                raise ConverterFailed(f"the converter exited at start ({PYTHON})")
            with contextlib.suppress(OSError):
                self._proxy().info()  # answers once LibreOffice is up
                return
            time.sleep(0.2)
        self.stop()
        raise ConverterFailed("the converter did not start in time")

    def _proxy(self) -> Any:
        from xmlrpc.client import ServerProxy

        return ServerProxy(f"http://127.0.0.1:{self.port}", allow_none=True)

    def _client(self) -> Any:
        from unoserver.client import UnoClient

        return UnoClient(port=str(self.port))

    def convert(self, docx: bytes) -> bytes:
        data = self._client().convert(indata=docx, convert_to="pdf",
                                      filtername="writer_pdf_Export")
        if not isinstance(data, bytes) or not data.startswith(b"%PDF"):
            raise ConverterFailed("the converter answered without a PDF")
        return data

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None


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
        except Exception:  # noqa: BLE001 - no uno, no unoserver, no LibreOffice: go cold
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
