"""The city's アクセシビリティ方針, written from the browser tests' results (one file per
test process): the target level, the public pages, the test method and date, the results."""

from __future__ import annotations

import json
import re

from .factories import CityFactory


def write_run(folder, worker: str, pages: list[tuple[str, int]]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{worker}.json").write_text(json.dumps({
        "date": "2026-12-06", "engine": "axe-core 4.10.2", "browser": "Chromium 131.0",
        "rules": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
        "pages": [{"path": p, "violations": n} for p, n in pages]}), encoding="utf-8")


def test_the_policy_is_filled_from_the_test_run(app, tmp_path):
    CityFactory(slug="kamakura", name="鎌倉市", coordinating_section="地域のつながり推進課")
    results = tmp_path / "results"
    write_run(results, "gw0", [("/entrance/kamakura/", 0), ("/admin/", 0),
                               ("/entrance/kamakura/", 0)])
    write_run(results, "gw1", [("/disclosure/kamakura/?year=2025", 0), ("/login", 0)])
    out = tmp_path / "policy.html"
    result = app.test_cli_runner().invoke(args=[
        "kyodo", "accessibility", "policy", "--city", "kamakura", "--results", str(results),
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "5ページ、問題 0件" in result.output
    html = out.read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "鎌倉市 協働事業のページのアクセシビリティ方針" in html
    assert "JIS X 8341-3:2016 の適合レベル AA に準拠" in html
    assert "/entrance/kamakura/" in html and "/disclosure/kamakura/" in html
    assert "2026-12-06" in html and "axe-core 4.10.2" in html and "Chromium 131.0" in html
    assert re.search(r"公開ページ 3 種類（延べ 4 回）、職員の画面を含め 4 種類（延べ 5 回）", html)
    assert "自動試験で問題は見つかりませんでした" in html

    write_run(results, "gw1", [("/disclosure/kamakura/", 2)])
    app.test_cli_runner().invoke(args=[
        "kyodo", "accessibility", "policy", "--city", "kamakura", "--results", str(results),
        "-o", str(out)])
    assert "問題 2 件が見つかりました" in out.read_text(encoding="utf-8")


def test_without_results_or_city_the_command_says_what_to_do(app, tmp_path):
    CityFactory(slug="kamakura", name="鎌倉市")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kyodo", "accessibility", "policy", "--city", "kamakura",
                                 "--results", str(tmp_path / "none"), "-o", str(tmp_path / "p")])
    assert result.exit_code != 0 and "先に make test を実行してください" in result.output
    result = runner.invoke(args=["kyodo", "accessibility", "policy", "--city", "nowhere",
                                 "-o", str(tmp_path / "p")])
    assert result.exit_code != 0 and "自治体「nowhere」が見つかりません" in result.output
    assert not (tmp_path / "p").exists()
