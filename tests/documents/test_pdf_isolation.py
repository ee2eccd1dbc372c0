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


def _listening(table: str, inodes: set[str]) -> list[str]:
    """Rows of /proc/net/<table> in LISTEN state (0A) held by ``inodes``."""
    rows = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
    return [row for row in rows if row.split()[3] == "0A" and row.split()[9] in inodes]


def _unix_paths(inodes: set[str]) -> list[str]:
    paths = []
    for row in Path("/proc/net/unix").read_text().splitlines()[1:]:
        parts = row.split()
        if len(parts) >= 8 and parts[6] in inodes and parts[7].startswith("/"):
            paths.append(parts[7])
    return paths


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
    assert _listening("tcp", inodes) == [] and _listening("tcp6", inodes) == []
    paths = _unix_paths(inodes)
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
