"""axe-core (Deque's accessibility engine, the npm package ``make`` installs) on every page.

``watch(context)`` makes each HTML document the context loads run axe-core with the WCAG 2.0
and 2.1 A and AA rules as soon as it has loaded, and report its violations back to Python;
``Watch.check()`` fails with a readable list of them, one line per rule and page.

The check runs inside the page, started by the document's own ``load`` event, so it covers
every page a test opens (by ``goto``, a click, a form sent or a redirect) without the test
naming them, and it finishes before the test's next click: axe runs without yielding to the
page's event loop once its stylesheets are read (``preload: false``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

#: WCAG 2.1 level A and AA, which is what JIS X 8341-3:2016 AA asks.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUNNER = """
(() => {
  if (window.top !== window) return;
  window.addEventListener('load', () => {
    if (document.contentType !== 'text/html' || !window.axe) return;
    window.axe.run(document, {runOnly: {type: 'tag', values: TAGS},
                              resultTypes: ['violations'], preload: false})
      .then(r => window.kyodoAxeReport(location.href, r.violations.map(v => ({
          id: v.id, impact: v.impact, help: v.help,
          targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
          count: v.nodes.length}))))
      .catch(e => window.kyodoAxeReport(location.href, [{id: 'axe-error', impact: 'error',
          help: String(e), targets: [], count: 1}]));
  });
})();
""".replace("TAGS", json.dumps(TAGS))


@dataclass
class Watch:
    """The pages a browser context loaded and what axe-core found on each."""

    pages: list[str] = field(default_factory=list)
    violations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def report(self, url: str, found: list[dict[str, Any]]) -> None:
        path = urlsplit(url)._replace(scheme="", netloc="").geturl()
        self.pages.append(path)
        self.violations.extend((path, v) for v in found)

    def summary(self) -> str:
        return "\n".join(
            f"{path}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']} — "
            + ", ".join(v["targets"])
            for path, v in self.violations)

    def check(self) -> None:
        assert not self.violations, (
            f"axe-core (WCAG 2.1 A/AA) found {len(self.violations)} violation(s) "
            f"on {len(self.pages)} page(s):\n{self.summary()}")


def available() -> bool:
    return AXE_JS.is_file()


def version() -> str:
    return json.loads((AXE_JS.parent / "package.json").read_text(encoding="utf-8"))["version"]


def watch(context: Any) -> Watch:
    """Run axe-core on every HTML document ``context`` loads from now on."""
    found = Watch()
    context.expose_function("kyodoAxeReport", found.report)
    context.add_init_script(path=os.fspath(AXE_JS))
    context.add_init_script(RUNNER)
    return found
