"""Which answers of a form a Word template prints (coverage), read from the template itself.

A template names an answer as ``answers.X`` (or ``answers['X']``); a table field's rows
as ``{%tr for row in answers.X %}``. A field whose answer fills a record column
(``fills: budget_amount``) counts as printed when the template prints that column
(``proposal.budget_amount``), as the shipped templates do.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from ..formschema.definition import fields_of, fills_of
from ..formschema.types import FieldDef
from .render import ENV, TEMPLATED_PARTS, _prepare


@dataclass(frozen=True)
class Names:
    """What a template refers to: answers by field name, and the last part of every other
    dotted placeholder (``proposal.budget_amount`` → ``budget_amount``)."""

    answers: frozenset[str]
    attributes: frozenset[str]


def _walk(tree: nodes.Node) -> tuple[set[str], set[str]]:
    answers: set[str] = set()
    attributes: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node  # type: ignore[attr-defined]
        name: str | None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        else:
            key = node.arg  # type: ignore[attr-defined]
            name = key.value if isinstance(key, nodes.Const) and isinstance(key.value, str) else None
        if name is None:
            continue
        if isinstance(target, nodes.Name) and target.name == "answers":
            answers.add(name)
        else:
            attributes.add(name)
    return answers, attributes


def template_trees(data: bytes) -> Iterator[nodes.Template]:
    """The parsed Jinja tree of each templated part of a .docx that holds a tag (a part
    that does not parse is passed over: the checks report it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not TEMPLATED_PARTS.match(info.filename):
                continue
            text = archive.read(info).decode("utf-8")
            if "{" not in text:
                continue
            try:
                yield ENV.parse(_prepare(info.filename, text))
            except TemplateSyntaxError:
                continue


@functools.lru_cache(maxsize=128)
def _names(sha256: str, data: bytes) -> Names:
    answers: set[str] = set()
    attributes: set[str] = set()
    for tree in template_trees(data):
        found, other = _walk(tree)
        answers |= found
        attributes |= other
    return Names(frozenset(answers), frozenset(attributes))


def names_in(data: bytes) -> Names:
    return _names(hashlib.sha256(data).hexdigest(), data)


@dataclass(frozen=True)
class Coverage:
    """The fields of a form a template prints and those it leaves out (labels in order)."""

    used: list[FieldDef] = field(default_factory=list)
    unused: list[FieldDef] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unused


def coverage(data: bytes, schema: dict[str, Any] | None) -> Coverage:
    names = names_in(data)
    result = Coverage()
    for item in fields_of(schema or {}):
        fills = fills_of(item)
        column = fills[0] if fills else None
        printed = item["name"] in names.answers or (column is not None and column in names.attributes)
        (result.used if printed else result.unused).append(item)
    return result
