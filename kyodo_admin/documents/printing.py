"""What a placeholder prints is part of a template's contract: a template keeps printing what
it printed when it was registered, whatever later versions print by default.

``DocumentTemplate.printing`` says which rules a template was written for:

1. before typed answers: a yes/no answer printed bare (``{{ answers.consulted }}``) prints
   ☑ or ☐;
2. typed answers (the current rules): it prints はい or いいえ, and ☑/☐ with ``|checkbox``.

A template of earlier rules renders with them (``for_printing``); the templates page lists
its bare yes/no placeholders with the fix, and ``modernized`` writes a new revision that
prints the same under the current rules (``|checkbox`` added).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from jinja2 import nodes

from .coverage import template_trees
from .render import TEMPLATED_PARTS
from .values import YesNo

#: The rules a template uploaded now is written for.
CURRENT = 2


class Ticked(YesNo):
    """A yes/no printed as the rules before typed answers printed it: ☑ or ☐."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Ticked, (self.value,))

    def __str__(self) -> str:
        return "☑" if self.value else "☐"


def for_printing(context: dict[str, Any], printing: int) -> dict[str, Any]:
    """The context a template of ``printing`` rules expects (the current rules: as it is)."""
    if printing >= CURRENT:
        return context
    answers = context.get("answers")
    if not isinstance(answers, dict):
        return context
    return {**context, "answers": _ticked(answers)}


def _ticked(value: Any) -> Any:
    if type(value) is YesNo:
        return Ticked(value.value)
    if isinstance(value, dict):
        return {k: _ticked(v) for k, v in value.items()}
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):  # a table's rows
        return [_ticked(v) for v in value]
    return value


def _bare_answers(tree: nodes.Node) -> set[str]:
    """The answers printed as they are: ``{{ answers.X }}`` with no filter or test."""
    found = set()
    for output in tree.find_all(nodes.Output):
        for node in output.nodes:
            if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) \
                    and node.node.name == "answers":
                found.add(node.attr)
    return found


def bare_answers(data: bytes) -> set[str]:
    names: set[str] = set()
    for tree in template_trees(data):
        names |= _bare_answers(tree)
    return names


def changed_by_rules(data: bytes, printing: int, yes_no_fields: list[Any]) -> list[Any]:
    """The yes/no items of the form a template of earlier rules prints bare: under the
    current rules they would print はい/いいえ instead of ☑/☐."""
    if printing >= CURRENT:
        return []
    bare = bare_answers(data)
    return [f for f in yes_no_fields if f["name"] in bare]


def modernized(data: bytes, names: list[str]) -> bytes | None:
    """The template with ``|checkbox`` added to each bare ``{{ answers.X }}`` of ``names``,
    or None when one of them is split over runs of text in the XML (Word's own editing can
    split it): then the city adds ``|checkbox`` in Word."""
    output = io.BytesIO()
    missing = set(names)
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if TEMPLATED_PARTS.match(info.filename) and b"{{" in content:
                text = content.decode("utf-8")
                for name in names:
                    pattern = re.compile(r"\{\{\s*answers\." + re.escape(name) + r"\s*\}\}")
                    text, count = pattern.subn("{{ answers." + name + "|checkbox }}", text)
                    if count:
                        missing.discard(name)
                content = text.encode("utf-8")
            target.writestr(info, content)
    if missing or bare_answers(output.getvalue()) & set(names):
        return None
    return output.getvalue()
