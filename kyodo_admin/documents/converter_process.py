"""One warm PDF converter: LibreOffice driven over UNO, answering its parent on a pipe.

Run by a Python that has LibreOffice's ``uno`` module (Debian: python3-uno), in isolated mode
(``python3 -I converter_process.py SOFFICE FOLDER``: no PYTHONPATH, no user site, not even this
file's folder on the path), never imported by the app; started with no network where the
system allows it (``unshare --user --map-current-user --net``, ``pdf.offline_prefix``). It
reaches no one but the process that started it, and reads only what LibreOffice needs:

- requests come on stdin and answers go to stdout (a pipe only the parent holds): a request is
  an 8-byte big-endian length and the .docx; an answer is ``P`` or ``E``, an 8-byte length,
  then the PDF or an error message;
- its LibreOffice listens on a UNO *pipe* (a Unix socket made under umask 077, so mode 0700,
  with a random name), not on a TCP port any local account could reach;
- each document is written into a job folder of its own (``mkdtemp``, 0700) inside ``FOLDER``
  (the parent's private folder for this converter) and loaded with macros never run and links
  never updated;
- with Landlock (Linux 5.13+) it and its LibreOffice may read only LibreOffice's own files,
  fonts and settings, and write only ``FOLDER``: a document that points at a local file (a
  linked picture, ``file:///…/secret``) gets nothing from it.

Stops when stdin closes, and stops its LibreOffice with it; when its parent is gone (even
killed), it stops its whole process group.
"""

import contextlib
import ctypes
import json
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


# -- Landlock: the converter and its LibreOffice read only what LibreOffice needs ----------

#: Landlock's system calls (the same number on every architecture) and flags.
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
REMOVE_FILE, MAKE_SOCK = 1 << 5, 1 << 9
#: Every right of Landlock's first ABI (bits 0-12), then REFER (ABI 2) and TRUNCATE (ABI 3).
ALL_V1, REFER, TRUNCATE = (1 << 13) - 1, 1 << 13, 1 << 14
READ = EXECUTE | READ_FILE | READ_DIR
#: Where LibreOffice, its libraries, fonts and settings are read from. Not /home, /root,
#: /srv, the rest of /etc and /var, the app's folders, /proc's processes or the rest of /tmp.
READABLE = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/fonts",
            "/etc/libreoffice", "/etc/ld.so.cache", "/etc/localtime", "/etc/passwd",
            "/etc/group", "/etc/nsswitch.conf", "/etc/mime.types", "/etc/alternatives",
            "/etc/locale.alias", "/var/lib/libreoffice", "/var/spool/libreoffice",
            "/var/cache/fontconfig", "/sys/devices/system/cpu", "/proc/meminfo",
            "/proc/cpuinfo", "/proc/stat")
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def confine(folder: str) -> bool:
    """Confine this process and every process it starts (its LibreOffice) with Landlock: read
    only LibreOffice's own files, write only ``folder`` (profile, jobs) and make its UNO pipe
    in /tmp. False where the kernel has no Landlock (the rest of the isolation still holds)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return False
    handled = ALL_V1 | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    attr = RulesetAttr(handled)
    ruleset = libc.syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    rules = [(path, READ) for path in READABLE]
    rules += [(path, READ_FILE | WRITE_FILE | READ_DIR) for path in DEVICES]
    rules += [("/dev/shm", handled), (folder, handled),
              ("/tmp", MAKE_SOCK | REMOVE_FILE | READ_DIR)]
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # not on this system
        try:
            if not os.path.isdir(path):
                access &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
            rule = PathBeneathAttr(access & handled, fd)
            libc.syscall(ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0))
        finally:
            os.close(fd)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    done = libc.syscall(RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0
    os.close(ruleset)
    return done


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
    soffice, folder = sys.argv[1], sys.argv[2]
    # The PDF options, as the command line's filter takes them (``pdf_pool.PDF_FILTER``).
    options = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    os.umask(0o077)
    threading.Thread(target=watch_parent, daemon=True).start()
    name = "kyodo-" + uuid.uuid4().hex
    confine(folder)
    office = subprocess.Popen(
        [soffice, "-env:UserInstallation=" + uno.systemPathToFileUrl(os.path.join(folder, "profile")),
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
                    document.storeToURL(uno.systemPathToFileUrl(target), (
                        prop("FilterName", "writer_pdf_Export"),
                        prop("FilterData", uno.Any("[]com.sun.star.beans.PropertyValue", tuple(
                            prop(name, option["value"] == "true")
                            for name, option in options.items())))))
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
