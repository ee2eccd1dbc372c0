"""Benchmark: memory of a list's export (CSV and Excel) at a small and a large size.

Two PostgreSQL databases are loaded as ``scale.py`` does, to ``--small`` and ``--large``
proposals; a logged-in member of staff exports the whole proposal list as CSV and as Excel.
Printed per size and format: rows, file size, time and the peak of Python's allocations
during the request (``tracemalloc``); last line ``export peak large/small = R``, the worse of
the two formats (memory flat in the rows: R near 1).

Run with ``make bench-export`` (1,000 against 10,000).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import build, drop  # noqa: E402

FORMATS = ("csv", "xlsx")


def measure(client: object, export_type: str) -> tuple[int, float, int]:
    """File size, seconds and peak allocated bytes of one export."""
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/admin/proposal/export/{export_type}/")  # type: ignore[attr-defined]
    data = response.get_data()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if response.status_code != 200:
        raise SystemExit(f"export {export_type}: HTTP {response.status_code}")
    return len(data), elapsed, peak - len(data)  # the file the client holds aside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    args = parser.parse_args()
    peaks: dict[tuple[int, str], int] = {}
    print("| proposals | format | file | time | peak memory |")
    print("|---|---|---|---|---|")
    for size in (args.small, args.large):
        app, client, _sample, name = build(size)
        try:
            for export_type in FORMATS:
                measure(client, export_type)  # templates and imports aside
                size_bytes, elapsed, peak = measure(client, export_type)
                peaks[(size, export_type)] = peak
                print(f"| {size:,} | {export_type} | {size_bytes / 1024:.0f} KiB | {elapsed:.1f} s "
                      f"| {peak / 1024 / 1024:.1f} MiB |")
        finally:
            with app.app_context():
                from kyodo_admin.extensions import db

                db.session.remove()
                db.engine.dispose()
            drop(name)
    ratio = max(peaks[(args.large, f)] / peaks[(args.small, f)] for f in FORMATS)
    print(f"export peak {args.large}/{args.small} = {ratio:.2f}")


if __name__ == "__main__":
    main()
