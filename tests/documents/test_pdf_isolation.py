"""The warm PDF converters serve the app alone, and nothing planted by another account runs.

Tried as another local account would (``nobody``): no converter listens on a TCP port; its
LibreOffice's socket and its folders are the app's alone (0700), so ``nobody`` can neither
connect nor look inside; code put where an older version looked (a predictable folder in /tmp,
``PYTHONPATH``, the current folder) never runs in a converter.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
from pathlib import Path

import pytest

from kyodo_admin.documents import pdf, pdf_pool

from ..processes import descendants
from .test_pdf_pool import long_document, needs_uno


@pytest.fixture
def converter(monkeypatch, tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o755)
    monkeypatch.setenv("KYODO_RUNTIME_DIR", str(runtime))
    monkeypatch.setattr(pdf, "_runtime", {})
    needs_uno()
    created = pdf_pool.Pool(1)
    monkeypatch.setattr(pdf_pool, "pool", lambda: created)
    assert pdf.to_pdf(long_document(1)).startswith(b"%PDF")  # started and converting
    yield created.converters[0]
    created.stop()


def _sockets_of(pids: set[int]) -> set[str]:
    """The socket inodes the processes hold open."""
    inodes = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    return inodes


def _net_rows(pids: set[int], table: str) -> list[list[str]]:
    """Rows of /proc/<pid>/net/<table> as each process sees them (a converter may be in a
    network namespace of its own)."""
    rows = []
    for pid in pids:
        try:
            rows += [row.split() for row in
                     Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]]
        except OSError:
            continue
    return rows


def _listening(pids: set[int], table: str, inodes: set[str]) -> list[list[str]]:
    """TCP sockets in LISTEN state (0A) held by ``inodes``."""
    return [row for row in _net_rows(pids, table) if row[3] == "0A" and row[9] in inodes]


def _unix_paths(pids: set[int], inodes: set[str]) -> list[str]:
    return sorted({row[7] for row in _net_rows(pids, "unix")
                   if len(row) >= 8 and row[6] in inodes and row[7].startswith("/")})


def _as_nobody(code: str) -> str:
    if os.getuid() != 0:
        pytest.skip("trying as another account needs root to switch to nobody")
    nobody = pwd.getpwnam("nobody")
    result = subprocess.run(["/usr/bin/python3", "-I", "-c", code], user=nobody.pw_uid,
                            group=nobody.pw_gid, extra_groups=[], capture_output=True,
                            text=True, timeout=30, cwd="/")
    return result.stdout + result.stderr


def test_no_converter_listens_on_a_port_and_its_socket_refuses_another_account(converter):
    family = {converter.process.pid, *descendants(converter.process.pid)}
    commands = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                        for pid in family if Path(f"/proc/{pid}/cmdline").exists())
    assert "soffice.bin" in commands and "converter_process" in commands
    inodes = _sockets_of(family)
    assert _listening(family, "tcp", inodes) == [] and _listening(family, "tcp6", inodes) == []
    paths = _unix_paths(family, inodes)
    assert paths, "LibreOffice's UNO pipe was not found"
    for path in paths:
        mode = os.stat(path)
        assert stat.S_IMODE(mode.st_mode) & 0o077 == 0, (path, oct(mode.st_mode))
        assert mode.st_uid == os.getuid()
    tried = _as_nobody(
        "import socket, sys\n"
        f"for path in {paths!r}:\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    try:\n"
        "        s.connect(path); print('CONNECTED', path)\n"
        "    except OSError as e:\n"
        "        print('refused', type(e).__name__)\n")
    assert "CONNECTED" not in tried and tried.count("refused PermissionError") == len(paths), tried


def test_the_converters_folders_are_private_and_unpredictable(converter):
    folder = converter.folder
    runtime = folder.parent
    for path in (runtime, folder):
        mode = os.stat(path)
        assert stat.S_IMODE(mode.st_mode) == 0o700 and mode.st_uid == os.getuid(), path
    assert str(os.getpid()) not in folder.name and str(os.getpid()) not in runtime.name
    tried = _as_nobody(
        "import os\n"
        f"for path in ({str(runtime)!r}, {str(folder)!r}):\n"
        "    try:\n"
        "        os.listdir(path); print('LISTED', path)\n"
        "    except OSError as e:\n"
        "        print('refused', type(e).__name__)\n")
    assert "LISTED" not in tried and tried.count("refused PermissionError") == 2, tried


def test_code_planted_where_a_converter_might_look_never_runs(monkeypatch, tmp_path):
    """A sitecustomize.py in a folder named as an older version named its helper folder,
    on PYTHONPATH, and in the current folder: none runs when converters start and convert."""
    needs_uno()
    marker = tmp_path / "ran"
    planted = f"open({str(marker)!r}, 'a').write('planted code ran\\n')\n"
    old_style = Path(f"/tmp/kyodo-libreoffice-{os.getuid()}-{os.getpid()}-unoserver/path")
    on_path = tmp_path / "on-path"
    for folder in (old_style, on_path, tmp_path):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "sitecustomize.py").write_text(planted)
        (folder / "usercustomize.py").write_text(planted)
        (folder / "uno.py").write_text(planted)  # a module the converter imports by name
    monkeypatch.setenv("PYTHONPATH", f"{on_path}:{old_style}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pdf, "_runtime", {})
    created = pdf_pool.Pool(1)
    monkeypatch.setattr(pdf_pool, "pool", lambda: created)
    try:
        assert pdf.to_pdf(long_document(1)).startswith(b"%PDF")
        assert not created.broken
    finally:
        created.stop()
        import shutil

        shutil.rmtree(old_style.parent, ignore_errors=True)
    assert not marker.exists(), marker.read_text()


def test_the_converters_libreoffice_has_no_network(converter):
    """LibreOffice runs in a network namespace of its own (where the system allows one): a
    document that points at an address reaches nothing."""
    if not pdf.offline_prefix():
        pytest.skip("this system allows no unprivileged network namespace (unshare)")
    family = descendants(converter.process.pid)
    office = [pid for pid, command in family.items() if "soffice.bin" in command]
    assert office, family
    ours = os.readlink("/proc/self/ns/net")
    assert all(os.readlink(f"/proc/{pid}/ns/net") != ours for pid in office)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _linking(target: Path) -> bytes:
    """A Word file whose only picture is linked to ``target`` on this machine (r:link to an
    external file), as a template that slipped past the checks would be."""
    import io
    import re
    import zipfile

    import docx

    document = docx.Document()
    document.add_paragraph("印影:")
    document.add_picture(io.BytesIO(_png(8, 8, (0, 0, 255))))
    plain = io.BytesIO()
    document.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as linked:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("word/media/"):
                continue
            if info.filename == "word/_rels/document.xml.rels":
                content = re.sub(rb'(Type="[^"]+/image" )Target="media/[^"]+"',
                                 b'\\1Target="' + target.as_uri().encode() + b'" TargetMode="External"',
                                 content)
            if info.filename == "word/document.xml":
                content = content.replace(b"r:embed=", b"r:link=")
            linked.writestr(info.filename, content)
    return out.getvalue()


def test_a_document_linking_a_local_file_gets_nothing_from_it(converter, tmp_path):
    """The converter reads only LibreOffice's own files (Landlock): a picture linked to a file
    the app's account can read (a key, another city's export) stays out of the PDF."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png(40, 40, (255, 0, 0)))
    secret.chmod(0o644)
    data = pdf.to_pdf(_linking(secret))
    assert data.startswith(b"%PDF") and converter.alive()  # made by the warm converter
    assert b"/Subtype/Image" not in data and b"/Subtype /Image" not in data
