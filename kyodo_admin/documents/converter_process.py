"""One warm PDF converter: LibreOffice driven over UNO, answering its parent on a pipe.

Run by a Python that has LibreOffice's ``uno`` module (Debian: python3-uno), in isolated mode
(``python3 -I converter_process.py SOFFICE FOLDER [PREFIX…]``: no PYTHONPATH, no user site, not
even this file's folder on the path), never imported by the app; PREFIX starts LibreOffice
with no network (``unshare --user --map-current-user --net``, ``pdf.offline_prefix``). It
reaches no one but the process that started it:

- requests come on stdin and answers go to stdout (a pipe only the parent holds): a request is
  an 8-byte big-endian length and the .docx; an answer is ``P`` or ``E``, an 8-byte length,
  then the PDF or an error message;
- its LibreOffice listens on a UNO *pipe* (a Unix socket made under umask 077, so mode 0700,
  with a random name), not on a TCP port any local account could reach;
- each document is written into a job folder of its own (``mkdtemp``, 0700) inside ``FOLDER``
  (the parent's private folder for this converter) and loaded with macros never run and links
  never updated.

Stops when stdin closes, and stops its LibreOffice with it; when its parent is gone (even
killed), it stops its whole process group.
"""

import contextlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import typing
import uuid

import uno  # LibreOffice's Python bridge (python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

START_TIMEOUT = 60
NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE


def watch_parent() -> None:
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os.killpg(0, signal.SIGKILL)


def prop(name: str, value: object) -> object:
    return PropertyValue(Name=name, Value=value)


def read_exact(stream: typing.BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def answer(kind: bytes, payload: bytes) -> None:
    out = sys.stdout.buffer
    out.write(kind + struct.pack(">Q", len(payload)) + payload)
    out.flush()


def main() -> None:
    soffice, folder, offline = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.umask(0o077)
    threading.Thread(target=watch_parent, daemon=True).start()
    name = "kyodo-" + uuid.uuid4().hex
    office = subprocess.Popen(
        [*offline, soffice, "-env:UserInstallation=" + uno.systemPathToFileUrl(os.path.join(folder, "profile")),
         "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
         f"--accept=pipe,name={name};urp;StarOffice.ComponentContext"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            context = resolver.resolve(
                f"uno:pipe,name={name};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if office.poll() is not None or time.monotonic() > deadline:
                sys.exit("LibreOffice did not start")
            time.sleep(0.1)
    desktop = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context)
    jobs = os.path.join(folder, "jobs")
    os.makedirs(jobs, mode=0o700, exist_ok=True)
    sys.stdout.buffer.write(b"READY\n")
    sys.stdout.buffer.flush()
    stdin = sys.stdin.buffer
    try:
        while True:
            head = read_exact(stdin, 8)
            if head is None:
                break
            docx = read_exact(stdin, struct.unpack(">Q", head)[0])
            if docx is None:
                break
            job = tempfile.mkdtemp(dir=jobs)
            try:
                source = os.path.join(job, "document.docx")
                target = os.path.join(job, "document.pdf")
                with open(source, "wb") as file:
                    file.write(docx)
                document = desktop.loadComponentFromURL(
                    uno.systemPathToFileUrl(source), "_blank", 0,
                    (prop("Hidden", True), prop("ReadOnly", True),
                     prop("MacroExecutionMode", NEVER_EXECUTE), prop("UpdateDocMode", NO_UPDATE)))
                if document is None:
                    answer(b"E", b"LibreOffice could not open the document")
                    continue
                try:
                    document.storeToURL(uno.systemPathToFileUrl(target),
                                        (prop("FilterName", "writer_pdf_Export"),))
                finally:
                    document.close(True)
                with open(target, "rb") as file:
                    answer(b"P", file.read())
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which goes on
                answer(b"E", str(exc).encode("utf-8", "replace")[:2000])
            finally:
                shutil.rmtree(job, ignore_errors=True)
    finally:
        with contextlib.suppress(Exception):  # LibreOffice already gone
            desktop.terminate()
        office.kill()
        office.wait()


if __name__ == "__main__":
    main()
