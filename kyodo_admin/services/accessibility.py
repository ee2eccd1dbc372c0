"""The city's アクセシビリティ方針 (accessibility policy) for its public pages, filled from a
run of the browser tests: JIS X 8341-3:2016 level AA as the target, the pages it covers,
how they were tested (axe-core's WCAG 2.1 A/AA rules in Chromium, a keyboard-only send, a
phone's width) and when, and what was found — as municipalities publish beside their
conformance statement (総務省「みんなの公共サイト運用ガイドライン」)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext

from ..errors import ValidationFailed

#: The public pages the policy covers: (what, path under the city's slug).
PUBLIC_PAGES = (("協働エントランス（提案の受付）", "/entrance/{slug}/"),
                ("提案の受付の控え", "/entrance/{slug}/received"),
                ("提案の状況", "/entrance/{slug}/status/…"),
                ("提案の状況のリンクの再送", "/entrance/{slug}/status"),
                ("協働事業の公開", "/disclosure/{slug}/"),
                ("ログイン", "/login"))


@dataclass(frozen=True)
class TestRun:
    date: str
    engine: str
    browser: str
    rules: list[str]
    #: (path, violations) of every page checked, as often as it was opened.
    pages: list[tuple[str, int]]

    @property
    def public(self) -> list[tuple[str, int]]:
        return [(p, n) for p, n in self.pages if p.startswith(("/entrance/", "/disclosure/",
                                                                "/login"))]

    @property
    def violations(self) -> int:
        return sum(n for _p, n in self.pages)

    def distinct(self, pages: Iterable[tuple[str, int]]) -> int:
        return len({p.split("?")[0] for p, _n in pages})


def read_results(folder: Path) -> TestRun:
    """The results the browser tests wrote (one file per test process), merged."""
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise ValidationFailed(gettext("%(folder)s にブラウザテストの結果（*.json）がありません。先に make test を実行してください。", folder=folder))
    runs: list[dict[str, Any]] = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    return TestRun(date=max(r["date"] for r in runs), engine=runs[0]["engine"],
                   browser=runs[0]["browser"], rules=runs[0]["rules"],
                   pages=[(p["path"], int(p["violations"])) for r in runs for p in r["pages"]])


def policy_page(city: Any, run: TestRun) -> str:
    """The policy as an HTML page the city publishes (or copies into its own site)."""
    from ..templating import render_template

    pages = [(what, path.format(slug=city.slug)) for what, path in PUBLIC_PAGES]
    return render_template("kyodo/web/accessibility_policy.html", city=city, run=run,
                           pages=pages)
