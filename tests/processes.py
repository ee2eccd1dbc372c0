"""Production processes for the tests: the `kyodo` commands, gunicorn and `kyodo worker` run
as real processes with ``KYODO_ENV=production``, PostgreSQL and Redis, and an HTTP client
that logs in over the wire as a browser does (its cookies are ``Secure``: this client sends
them over the tests' plain HTTP, as a browser would over HTTPS)."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("KYODO_TEST_REDIS", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_queue(db: int) -> str:
    """A Redis database of its own for a test's queue, emptied; fails in CI (skips elsewhere)
    when Redis does not answer."""
    import redis

    url = f"{REDIS_URL}/{db}"
    try:
        redis.Redis.from_url(url, socket_timeout=3).flushdb()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but did not answer at {url}: {exc}")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url


def production_env(database_url: str, queue_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a production machine (a fresh SECRET_KEY unless given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KYODO_", "FLASK_"))}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "KYODO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "KYODO_QUEUE_URL": queue_url,
        "KYODO_INSTANCE_PATH": str(instance),
        "KYODO_PDF_POOL": "0",
        **extra,
    })
    return env


def run(command: str, env: dict[str, str], stdin: str = "", timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """A shell command as an operator types it (no terminal: passwords come on stdin)."""
    return subprocess.run(command, shell=True, env=env, cwd=ROOT, input=stdin, text=True,
                          capture_output=True, timeout=timeout, start_new_session=True)


class Process:
    """A long-running process (gunicorn, kyodo worker) in a process group of its own."""

    def __init__(self, command: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        self.popen = subprocess.Popen(command, shell=True, env=env, cwd=ROOT,
                                      stdout=self.handle, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def output(self) -> str:
        if not self.handle.closed:
            self.handle.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.popen.poll() is None, f"stopped early:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{self.output()[-3000:]}"
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the process (not its group: it must stop its own children) and wait."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.handle.close()
        return self.popen.returncode

    def kill_group(self) -> None:
        """Whatever is left of the group (a test's cleanup after a failure)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()
        self.handle.close()


def gunicorn(env: dict[str, str], log: Path, workers: int = 2, port: int | None = None) -> tuple[Process, str]:
    port = port or free_port()
    process = Process(f"exec gunicorn -w {workers} -b 127.0.0.1:{port} --timeout 120 wsgi:app",
                      env, log)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/healthz", process)
    return process, url


def worker(env: dict[str, str], log: Path, command: str = "kyodo worker") -> Process:
    """A `kyodo worker`, once it waits for work."""
    process = Process(f"exec {command}", env, log)
    process.wait_for_output("作業を待っています")
    return process


def wait_http(url: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.popen.poll() is None, f"stopped:\n{process.output()[-3000:]}"
        try:
            status, _headers, _body = Client(url).request("GET", urllib.parse.urlsplit(url).path)
            if status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer:\n{process.output()[-3000:]}"
        time.sleep(0.3)


class Client:
    """An HTTP client with its own cookies, for one origin."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, dict[str, str], str]:
        """One request; ``files`` (field -> file name, bytes) sends the form as a browser
        sends a file input (multipart/form-data)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body: str | bytes | None = None
        if files is not None:
            boundary = "kyodo" + secrets.token_hex(12)
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                     f"{v}\r\n".encode() for k, v in (form or {}).items()]
            parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; '
                      f'filename="{urllib.parse.quote(name)}"\r\nContent-Type: '
                      f"application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
                      for k, (name, data) in files.items()]
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str]:
        status, _headers, text = self.request("GET", path)
        return status, text

    def log_in(self, username: str, password: str) -> None:
        _status, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page[:500]
        status, headers, text = self.request("POST", "/login", {
            "csrf_token": token.group(1), "username": username, "password": password})
        assert status == 302 and "/login" not in headers.get("location", ""), (status, text[:500])


def parse_env_line(line: str, env: dict[str, str]) -> dict[str, str]:
    """The variables an ``export A=… B=$(…)`` line sets, as bash evaluates them."""
    shown = run(f"{line}\nenv -0", env)
    assert shown.returncode == 0, shown.stderr
    values = dict(item.split("=", 1) for item in shown.stdout.split("\0") if "=" in item)
    names = re.findall(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", line.removeprefix("export"))
    return {name: values[name] for name in names}


def readme_block(heading: str) -> list[str]:
    """The command lines of the first ``sh`` block under a README heading (comments cut)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"^## {re.escape(heading)}\n.*?```sh\n(.*?)```", text, re.S | re.M)
    assert block, f"README has no sh block under {heading!r}"
    lines = [re.sub(r"\s+#\s.*$", "", line).strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def without_traceback(result: Any) -> str:
    output = f"{result.stdout}{result.stderr}"
    assert "Traceback" not in output, output
    return output


def descendants(pid: int) -> dict[int, str]:
    """Every process started under ``pid`` (children, theirs…, also in sessions of their own),
    by id, with its command line."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = commands[child]
                frontier.append(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def demo_database(name: str, password: str) -> str:
    """A PostgreSQL database with the seed cities' demo data (``kyodo demo``), every login's
    password changed from the demo one (production refuses to start with it)."""
    import sqlalchemy as sa

    from kyodo_admin.services.users import hash_password

    from .conftest import pg_create_database

    url = pg_create_database(name)
    loaded = run("kyodo demo", {**{k: v for k, v in os.environ.items() if not k.startswith("KYODO_")},
                                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                                "DATABASE_URL": url, "KYODO_ENV": "development",
                                "KYODO_INSTANCE_PATH": f"/tmp/kyodo-demo-{name}"}, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE user_account SET password_hash = :h"),
                           {"h": hash_password(password)})
    engine.dispose()
    return url


def ids_of(url: str, sql: str, **params: Any) -> list[int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(sa.text(sql), params)]
    engine.dispose()
    return found


def agreements_of(url: str, slug: str) -> list[int]:
    """The ids of a city's agreements, oldest first."""
    return ids_of(url, "SELECT a.id FROM agreement a JOIN city c ON c.id = a.city_id "
                       "WHERE c.slug = :slug ORDER BY a.id", slug=slug)


def csrf_of(page: str) -> str:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"',
                      page)
    assert token, page[:500]
    return token.group(1) or token.group(2)
