"""Benchmark: staff working at once against a city of 10,000 proposals, on PostgreSQL.

A database is loaded with the demo and Kamakura grown to ``--proposals`` (as ``scale.py``
does), then served by gunicorn as in production (``--workers`` processes of ``--threads``
threads). ``--users`` simulated staff, each logged in with its own session, work for
``--seconds``: a list page (40 %), a record's details (25 %), the edit form of a proposal of
their own and its save (10 %), the home screen (15 %), a Word agreement issued (10 %), with
a pause of up to ``--think`` seconds between requests.

Printed: requests, failures (anything but 200, or 302 for a save), p50/p95 per kind, and
the server's CPU time per request — the user+system time of the gunicorn workers and the
document renderer they start, over the run, divided by the requests: it does not depend on
how busy the rest of the machine (the simulated staff included) is.
Last line ``cpu ms/request = X`` (the goal is X ≤ 40, with 0 failures).

Run with ``make bench-load``. PostgreSQL is taken from ``KYODO_TEST_PG`` like the tests.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import database, drop, grow  # noqa: E402

#: (kind, share of the requests).
MIX = [("list", 40), ("details", 25), ("save", 10), ("home", 15), ("document", 10)]
PASSWORD = "kyodo-demo"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer of its own (one request, as the server counts them)."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class Staff:
    """One member of staff: a browser session of their own."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect())
        self.token = ""

    def request(self, path: str, data: dict[str, str] | list[tuple[str, str]] | None = None,
                ) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, username: str) -> None:
        import lxml.html

        _status, page = self.request("/login")
        token = lxml.html.fromstring(page).xpath('//input[@name="csrf_token"]/@value')[0]
        status, _ = self.request("/login", {"csrf_token": token, "username": username,
                                            "password": PASSWORD})
        assert status == 302, f"login of {username}: HTTP {status}"
        _status, page = self.request("/admin/proposal/")
        self.token = lxml.html.fromstring(page).xpath('//input[@name="csrf_token"]/@value')[0]

    def save(self, proposal_id: int) -> int:
        """Open the proposal's edit form and save it as it is, with a new summary."""
        import lxml.html

        url = f"/admin/proposal/edit/?id={proposal_id}"
        status, page = self.request(url)
        if status != 200:
            return status
        form = next(f for f in lxml.html.fromstring(page).forms
                    if f.xpath('.//input[@name="loaded_version"]'))
        values = [(k, v) for k, v in form.form_values() if k != "summary"]
        values.append(("summary", f"負荷試験で保存した概要 {time.time()}"))
        status, _ = self.request(url, values)
        return 200 if status == 302 else status


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_ms(master: int) -> dict[int, float]:
    """User + system CPU time so far (all threads) of the server's processes: the gunicorn
    workers and what they started (the document renderer), in ms by process id."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    pending = [int(pid) for pid in
               Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:  # ended meanwhile
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) * 1000 / ticks  # utime, stime
    return used


def prepare(url: str, proposals: int, users: int) -> dict[str, list[int]]:
    """The demo, Kamakura grown, ``users`` staff accounts; ids the simulated staff use."""
    from sqlalchemy import select

    from kyodo_admin import create_app
    from kyodo_admin.extensions import db
    from kyodo_admin.models import Agreement, City, Proposal, Role, User
    from kyodo_admin.tenancy import all_cities

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    grow(app, proposals)
    with app.app_context(), all_cities():
        city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
        template = db.session.execute(select(User).where(
            User.username == "kamakura-staff")).scalar_one()
        for n in range(users):
            db.session.add(User(username=f"load-staff-{n}", display_name=f"負荷試験 {n}",
                                role=Role.STAFF.value, city_id=city.id,
                                password_hash=template.password_hash))
        db.session.commit()
        ids = {
            # Returned proposals: every field may be edited.
            "own": list(db.session.execute(select(Proposal.id).where(
                Proposal.city_id == city.id, Proposal.status == "returned")
                .order_by(Proposal.id).limit(users)).scalars()),
            "proposals": list(db.session.execute(select(Proposal.id).where(
                Proposal.city_id == city.id)).scalars()),
            "agreements": list(db.session.execute(select(Agreement.id).where(
                Agreement.city_id == city.id, Agreement.status == "signed")
                .limit(1000)).scalars()),
        }
        db.session.remove()
        db.engine.dispose()
    return ids


def work(staff: Staff, own: int, ids: dict[str, list[int]], until: float, think: float,
         results: list[tuple[str, int, float]]) -> None:
    kinds = [kind for kind, _share in MIX]
    weights = [share for _kind, share in MIX]
    while time.monotonic() < until:
        kind = random.choices(kinds, weights)[0]
        started = time.perf_counter()
        if kind == "list":
            status, _ = staff.request(f"/admin/proposal/?page={random.randrange(50)}")
        elif kind == "details":
            status, _ = staff.request(
                f"/admin/proposal/details/?id={random.choice(ids['proposals'])}")
        elif kind == "save":
            status = staff.save(own)
        elif kind == "home":
            status, _ = staff.request("/admin/")
        else:
            status, _ = staff.request(
                f"/admin/agreement/document/agreement/{random.choice(ids['agreements'])}",
                {"csrf_token": staff.token})
        results.append((kind, status, (time.perf_counter() - started) * 1000))
        time.sleep(random.uniform(0, think))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    name = f"kyodo_bench_load_{os.getpid()}"
    url = database(name)
    server = None
    server_log: Any = None
    try:
        ids = prepare(url, args.proposals, args.users)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "x" * 32,
               "KYODO_LOGIN_RATE_LIMIT": "100000 per minute"}
        server_log = tempfile.TemporaryFile()  # noqa: SIM115 - read on a failure
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(args.workers),
             "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}", "--log-level",
             "warning", "wsgi:app"], cwd=ROOT, env=env, stdout=server_log, stderr=server_log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        staff = []
        for n in range(args.users):
            member = Staff(base)
            member.login(f"load-staff-{n}")
            staff.append(member)
        # Each process's first requests (templates compiled, the renderer started) aside.
        warm_up: list[tuple[str, int, float]] = []
        work(staff[0], ids["own"][0], ids, time.monotonic() + 5, 0, warm_up)
        cpu_before = cpu_ms(server.pid)
        results: list[tuple[str, int, float]] = []
        until = time.monotonic() + args.seconds
        threads = [threading.Thread(target=work, args=(member, ids["own"][n % len(ids["own"])],
                                                       ids, until, args.think, results))
                   for n, member in enumerate(staff)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        cpu_after = cpu_ms(server.pid)
        used = sum(ms - cpu_before.get(pid, 0) for pid, ms in cpu_after.items())
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop(name)

    failures = [r for r in results if r[1] != 200]
    print(f"{len(results)} requests in {elapsed:.0f} s ({len(results) / elapsed:.1f}/s) by "
          f"{args.users} staff against {args.proposals:,} proposals; "
          f"{len(failures)} failures")
    print("| request | count | p50 | p95 |")
    print("|---|---|---|---|")
    for kind, _share in MIX:
        times = [ms for k, _status, ms in results if k == kind]
        if times:
            print(f"| {kind} | {len(times)} | {statistics.median(times):.0f} ms "
                  f"| {percentile(times, 0.95):.0f} ms |")
    every = [ms for _k, _s, ms in results]
    print(f"| all | {len(every)} | {statistics.median(every):.0f} ms "
          f"| {percentile(every, 0.95):.0f} ms |")
    for kind, status, _ms in failures[:5]:
        print(f"failed: {kind} HTTP {status}", file=sys.stderr)
    if failures:
        server_log.seek(0)
        errors = [line for line in server_log.read().decode(errors="replace").splitlines()
                  if "ERROR" in line or "Traceback" in line]
        print("\n".join(errors[-20:]), file=sys.stderr)
    # A save is two requests (the form, then the post); every other kind is one.
    served = len(results) + sum(1 for r in results if r[0] == "save")
    print(f"server CPU {used / 1000:.1f} s over {served} requests")
    print(f"cpu ms/request = {used / served:.1f}")


if __name__ == "__main__":
    main()
