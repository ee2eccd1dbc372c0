"""Benchmark: rendering an agreement (30 role rows, 20 cost rows) with the shipped template.

    (a) ours     kyodo_admin.documents.render.render: compiled once per template version
    (b) docxtpl  naive docxtpl: load the .docx, render, save, for every document
    (c) floor    writing the same output parts as a zip with zipfile, every part deflated
                 (what a renderer writing through zipfile pays at least; ours copies the
                 parts a template does not change as their compressed bytes, so it can
                 go below it)

The three run interleaved (a, b, c, a, b, c, ...) so that machine noise hits them
alike; each figure is the median of the rounds. Run with ``make bench-docs``; the
last line is ``agreement ours/docxtpl = R``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def agreement_context(city: str = "kamakura", roles: int = 30, costs: int = 20) -> dict[str, Any]:
    from kyodo_admin.documents.context import answers_for, build_context, form_info
    from kyodo_admin.documents.examples import example_answers, example_for
    from kyodo_admin.formschema.definition import load_yaml, schema_of
    from kyodo_admin.models import CostShare, RoleShare

    record = example_for("agreement")
    record.role_shares = [RoleShare(item=f"役割{i}", city_role=f"市の役割{i}（会場の確保と広報）",
                                    organization_role=f"団体の役割{i}（運営と記録）")
                          for i in range(roles)]
    record.cost_shares = [CostShare(item=f"費目{i}", city_amount=10_000 * i,
                                    organization_amount=5_000 * i, note="")
                          for i in range(costs)]
    context = build_context("agreement", record)
    form = ROOT / "forms" / city / "agreement.yaml"
    definition = load_yaml(form.read_text(encoding="utf-8"), str(form))
    meta = SimpleNamespace(schema=schema_of(definition), title=definition.get("title", ""),
                           form_number=definition.get("form_number", ""), revision=1)
    context["answers"] = answers_for(meta, example_answers(meta))
    context["form"] = form_info(meta)
    return context


def naive_docxtpl(template: bytes, context: dict[str, Any]) -> bytes:
    """What the docxtpl documentation does, with the same sandbox so the output matches."""
    from docxtpl import DocxTemplate

    from kyodo_admin.documents.render import make_environment

    document = DocxTemplate(io.BytesIO(template))
    document.render(context, jinja_env=make_environment(), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_floor(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return out.getvalue()


def timed(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--city", default="kamakura")
    parser.add_argument("--batch", type=int, default=1000,
                        help="agreements rendered in a row for the throughput line")
    args = parser.parse_args()

    import docx

    from kyodo_admin.documents.render import render

    template = (ROOT / "doc_templates" / args.city / "agreement.docx").read_bytes()
    context = agreement_context(args.city)
    ours_out = render(template, context)
    with zipfile.ZipFile(io.BytesIO(ours_out)) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]

    # The outputs hold the same rows (sanity check before timing).
    def rows(data: bytes) -> list[list[str]]:
        return [[c.text for c in r.cells] for t in docx.Document(io.BytesIO(data)).tables
                for r in t.rows]

    assert rows(ours_out) == rows(naive_docxtpl(template, context)), "outputs differ"
    assert len(rows(ours_out)) >= 50

    ours, naive, floor = [], [], []
    for _ in range(args.rounds):
        ours.append(timed(render, template, context))
        naive.append(timed(naive_docxtpl, template, context))
        floor.append(timed(zip_floor, entries))
    m_ours, m_naive, m_floor = (statistics.median(x) for x in (ours, naive, floor))

    start = time.perf_counter()
    for _ in range(args.batch):
        render(template, context)
    batch = time.perf_counter() - start

    print(f"template: doc_templates/{args.city}/agreement.docx, 30 role rows, 20 cost rows, "
          f"{args.rounds} interleaved rounds, medians")
    print(f"(a) ours     {m_ours * 1000:8.2f} ms")
    print(f"(b) docxtpl  {m_naive * 1000:8.2f} ms")
    print(f"(c) floor    {m_floor * 1000:8.2f} ms (zipfile writing every part)")
    print(f"ours/floor = {m_ours / m_floor:.2f}")
    print(f"{args.batch} agreements with ours, one core: {batch:.1f} s")
    print(f"agreement ours/docxtpl = {m_ours / m_naive:.2f}")


if __name__ == "__main__":
    main()
