"""PDF from an issued .docx with LibreOffice (when installed).

LibreOffice keeps a user profile that two running instances must not share, so
each process converts with its own profile (one conversion at a time per
process). City templates ask for Windows fonts (ＭＳ 明朝, BIZ UD明朝); a
fontconfig file next to the profile maps them to the IPA fonts Debian ships,
so the PDF keeps Japanese text in a Mincho face instead of a fallback.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from ..errors import KyodoError

#: Seconds a conversion may take (``KYODO_PDF_TIMEOUT``); keep the web worker's own timeout
#: (gunicorn ``--timeout``) longer, so the conversion is stopped here, with a message.
TIMEOUT = int(os.environ.get("KYODO_PDF_TIMEOUT", 60))

#: Windows font family -> the Debian fonts that stand in for it, in order.
FONT_ALIASES: dict[str, tuple[str, ...]] = {
    "ＭＳ 明朝": ("IPAexMincho", "IPAMincho"),
    "MS Mincho": ("IPAexMincho", "IPAMincho"),
    "ＭＳ Ｐ明朝": ("IPAPMincho", "IPAexMincho"),
    "MS PMincho": ("IPAPMincho", "IPAexMincho"),
    "BIZ UD明朝": ("BIZ UDMincho", "IPAexMincho", "IPAMincho"),
    "BIZ UDMincho": ("BIZ UDMincho", "IPAexMincho", "IPAMincho"),
    "ＭＳ ゴシック": ("IPAexGothic", "IPAGothic"),
    "MS Gothic": ("IPAexGothic", "IPAGothic"),
    "BIZ UDゴシック": ("BIZ UDGothic", "IPAexGothic", "IPAGothic"),
    "BIZ UDGothic": ("BIZ UDGothic", "IPAexGothic", "IPAGothic"),
    "游明朝": ("IPAexMincho", "IPAMincho"),
    "Yu Mincho": ("IPAexMincho", "IPAMincho"),
}

_lock = threading.Lock()


class PdfUnavailable(KyodoError):
    """LibreOffice is not installed on this server."""


#: A tagged PDF (structure, reading order, table headers: read by assistive software) that
#: shows the document's title (JIS X 8341-3, PDF/UA), as LibreOffice's command line takes
#: the options (7.4+: JSON); the warm converters are given the same.
PDF_FILTER = json.dumps({name: {"type": "boolean", "value": "true"}
                         for name in ("UseTaggedPDF", "DisplayPDFDocumentTitle")},
                        separators=(",", ":"))


class PdfFailed(KyodoError):
    """LibreOffice could not convert the document."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


def fontconfig_xml() -> str:
    aliases = "".join(
        f"<alias binding=\"same\"><family>{name}</family><prefer>"
        + "".join(f"<family>{f}</family>" for f in fonts) + "</prefer></alias>"
        for name, fonts in FONT_ALIASES.items())
    return ('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
            f"{aliases}</fontconfig>")


_runtime: dict[int, Path] = {}  # by process id: a forked process makes its own
_runtime_lock = threading.RLock()


def runtime_dir() -> Path:
    """This process's private folder for LibreOffice's profiles, jobs and sockets: made fresh
    by ``mkdtemp`` (mode 0700, owned by the app, a name no one can guess) under
    ``KYODO_RUNTIME_DIR`` (default: the system's temporary folder), and removed at exit.
    Nothing in it is created by, readable by or writable by another account."""
    with _runtime_lock:
        folder = _runtime.get(os.getpid())
        if folder is None or not folder.is_dir():
            parent = os.environ.get("KYODO_RUNTIME_DIR") or None
            folder = Path(tempfile.mkdtemp(prefix="kyodo-", dir=parent))
            _runtime[os.getpid()] = folder
            atexit.register(_remove_runtime, os.getpid(), folder)
        return folder


def _remove_runtime(pid: int, folder: Path) -> None:
    if os.getpid() == pid:  # not a forked child's copy of the registration
        shutil.rmtree(folder, ignore_errors=True)


_offline: list[str] | None = None


def offline_prefix() -> list[str]:
    """What to start LibreOffice with so that it has no network: ``unshare`` into a user and
    network namespace of its own (no interface but a down loopback; its UNO pipe is a file,
    which still connects). Empty where the system allows no such namespace (then the checks
    of templates are what keeps a document from fetching anything)."""
    global _offline
    if _offline is None:
        command = [shutil.which("unshare") or "unshare", "--user", "--map-current-user", "--net"]
        try:
            works = subprocess.run([*command, "true"], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            works = False
        _offline = command if works else []
    return _offline


def private_dir(prefix: str) -> Path:  # callers may hold _runtime_lock
    """A new private folder (0700) inside this process's runtime folder, with the fontconfig
    file that maps the Windows fonts templates ask for (``fonts.conf``)."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir=runtime_dir()))
    (base / "fonts.conf").write_text(fontconfig_xml(), encoding="utf-8")
    return base


def _is_docx(data: bytes) -> bool:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def to_pdf(docx: bytes) -> bytes:
    """The PDF of a .docx, from a warm converter of the pool (``pdf_pool``) or, when the pool
    is off or cannot start, from a LibreOffice started for it; PdfUnavailable without
    LibreOffice, PdfFailed on a failure."""
    if not _is_docx(docx):
        raise PdfFailed("Word文書（.docx）ではないため、PDFにできません。")
    program = soffice()
    if program is None:
        raise PdfUnavailable("PDFの作成にはLibreOfficeが必要ですが、このサーバーにはインストールされて"
                             "いません。Word文書（.docx）をダウンロードしてください。")
    from . import pdf_pool

    converted = pdf_pool.convert(docx)
    return in_japanese(converted if converted is not None else convert_cold(docx, program))


def in_japanese(data: bytes, language: str = "ja-JP") -> bytes:
    """The PDF's language is Japanese (read aloud as such): LibreOffice takes it from the
    Word file's language for Latin text, en-US in most Japanese templates. Set in an
    incremental update: the converter's bytes stay, the catalog is added after them."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(io.BytesIO(data), incremental=True)
    if str(writer.root_object.get("/Lang", "")).startswith(language.split("-")[0]):
        return data
    writer.root_object[NameObject("/Lang")] = TextStringObject(language)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_cold: dict[int, Path] = {}  # the cold converter's profile, by process id


def convert_cold(docx: bytes, program: str) -> bytes:
    """One conversion by a LibreOffice started for it (about a second of start-up), with
    this process's own profile, in a job folder of its own."""
    with _runtime_lock:
        base = _cold.get(os.getpid())
        if base is None or not base.is_dir():
            base = _cold[os.getpid()] = private_dir("cold-")
    with _lock, tempfile.TemporaryDirectory(prefix="job-", dir=base) as work:
        source = Path(work) / "document.docx"
        source.write_bytes(docx)
        env = {**os.environ, "FONTCONFIG_FILE": str(base / "fonts.conf"), "HOME": str(base),
               "TMPDIR": str(base)}
        command = [*offline_prefix(), program,
                   f"-env:UserInstallation={(base / 'profile').as_uri()}", "--headless",
                   "--norestore", "--nologo", "--nodefault", "--convert-to", f"pdf:writer_pdf_Export:{PDF_FILTER}",
                   "--outdir", work, str(source)]
        # Its own process group: `soffice` is a wrapper that starts `soffice.bin`, and a
        # timeout must stop both (and free the profile for the next conversion). Its pipes
        # and files are the app's alone (umask 077).
        process = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True,
                                   umask=0o077)
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise PdfFailed(f"PDFの作成が{TIMEOUT}秒を超えたため中止しました。") from exc
        finally:
            _kill_group(process)  # whatever the wrapper left behind
        target = Path(work) / "document.pdf"
        if not target.exists() or target.stat().st_size == 0:
            raise PdfFailed("PDFを作成できませんでした。Word文書（.docx）をダウンロードしてください。")
        return target.read_bytes()
