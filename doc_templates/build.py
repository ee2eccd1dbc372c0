"""Build the shipped Word templates doc_templates/<city>/<kind>.docx, reproducibly.

    python doc_templates/build.py

Each is the starter template (kyodo_admin/documents/starter.py) of the city's shipped
form (forms/<city>/<kind>.yaml): 様式番号, dates in the Japanese era, the addressee, the
applicant block, the record's items and the form's sections in bordered 項目｜内容
tables, page numbers in the footer, ＭＳ 明朝; the agreement has 甲/乙, numbered
articles, role and cost tables with totals and a 記名押印 block. Fixed zip timestamps
make the output byte-identical on every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from kyodo_admin.documents.starter import FORM_OF, starter  # noqa: E402
from kyodo_admin.formschema.definition import load_yaml, schema_of  # noqa: E402

CITIES = ("kamakura", "saitama", "hachioji", "koganei", "kunitachi")
#: The notices have no form of their own; their 様式番号 is the one the guidelines print
#: (the continuation review's notice has none).
NOTICE_NUMBERS = {"review_result_notice": "様式第7号", "continuation_notice": ""}


def main() -> None:
    forms = ROOT.parent / "forms"
    for slug in CITIES:
        for kind, form_kind in FORM_OF.items():
            if form_kind is None:
                data = starter(kind, None, number=NOTICE_NUMBERS[kind])
            else:
                path = forms / slug / f"{form_kind}.yaml"
                definition = load_yaml(path.read_text(encoding="utf-8"), str(path))
                data = starter(kind, schema_of(definition), number=definition.get("form_number", ""))
            target = ROOT / slug / f"{kind}.docx"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print("built", len(CITIES) * len(FORM_OF), "templates")


if __name__ == "__main__":
    main()
