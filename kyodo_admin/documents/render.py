"""Rendering .docx templates (docxtpl tags) in a Jinja2 sandbox, compiled once per template.

docxtpl's own ``DocxTemplate.render`` parses the .docx with python-docx, cleans
the XML with regexes and compiles it with Jinja on every call, and its default
environment is not sandboxed (an uploaded template can run ``os.popen``). Here:

- every part that docxtpl renders (body, headers, footers, footnotes, core
  properties) is rendered by a ``SandboxedEnvironment(autoescape=True,
  undefined=StrictUndefined)``: no attribute games, ``&``/``<``/``>`` kept
  intact, and a missing value is an error naming the placeholder;
- the XML of a template is cleaned with docxtpl's own ``patch_xml`` and compiled
  once per template content (sha256); a render only runs the compiled
  templates and writes the zip, copying the untouched parts as their compressed bytes
  (``zipcopy.py``).

The sandbox does not bound time or memory (``range`` aside): ``limits.py``
runs renders of uploaded templates in a worker process with both limits.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from ..errors import KyodoError
from . import zipcopy
from .messages import FilterMisuse, describe
from .values import type_name
from .wareki import nendo, wareki, yen

#: Parts of a .docx that may hold tags.
TEMPLATED_PARTS = re.compile(
    r"^(word/document\.xml|word/header\d*\.xml|word/footer\d*\.xml|word/footnotes\.xml|"
    r"docProps/core\.xml)$")
#: Longest string a template may build with ``*`` (the sandbox's range() is bounded already).
MAX_PRODUCT = 100_000
#: Largest width or length a text filter may be asked for (``center(3*10**7)``…).
MAX_FILTER_ARGUMENT = 10_000
#: Most characters one part of a document may come to, whatever made them.
MAX_PART_CHARS = 5_000_000


class RenderError(KyodoError):
    """A template that cannot be rendered with this record (message in Japanese)."""


class KyodoSandbox(SandboxedEnvironment):
    """The sandbox, with ``*`` and ``**`` bounded so ``'a' * 10**8`` cannot eat memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int) \
                        and len(seq) * count > MAX_PRODUCT:
                    raise SecurityError("result too large")
        return super().call_binop(context, operator, left, right)


def checkbox(value: Any) -> str:
    return "☑" if value else "☐"


def _typed(name: str, function: Any, accepts: tuple[type, ...], meant_for: str) -> Any:
    """A formatting filter that refuses, in Japanese, a value it does not format (``|yen`` of
    text) instead of Python's 「Cannot specify ',' with 's'」; empty values print as empty."""
    def typed(value: Any) -> Any:
        if value is None or value == "":
            return function(None)
        if not isinstance(value, accepts) or isinstance(value, bool):
            raise FilterMisuse(f"|{name} は{meant_for}に使うフィルターです"
                               f"（渡された値は{type_name(value)}「{value}」です）。")
        return function(value)
    return typed


FILTERS: dict[str, Any] = {
    "wareki": _typed("wareki", wareki, (dt.date,), "日付"),
    "nendo": _typed("nendo", nendo, (int,), "年度（2026 のような西暦の数値）"),
    "yen": _typed("yen", yen, (int,), "金額"),
    "checkbox": checkbox,
}
#: Jinja's own filters that make text as long as a number they are given.
SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "format")
WIDTH_IN_FORMAT = re.compile(r"%[-+ #0]*(\d+)")


def _bounded(name: str, original: Any) -> Any:
    """A text filter refused before it runs when asked for a huge width or length."""
    def bounded(*args: Any, **kwargs: Any) -> Any:
        numbers = [a for a in (*args[1:], *kwargs.values())
                   if isinstance(a, int) and not isinstance(a, bool)]
        if name == "format" and args and isinstance(args[0], str):
            numbers += [int(w) for w in WIDTH_IN_FORMAT.findall(args[0])]
        if any(abs(n) > MAX_FILTER_ARGUMENT for n in numbers):
            raise SecurityError(f"{name}: argument too large")
        return original(*args, **kwargs)
    return bounded


#: Characters XML 1.0 cannot carry at all (controls, lone surrogates, U+FFFE/U+FFFF).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return NOT_IN_XML.sub("", text)


def _finalize(value: Any) -> Any:
    """What a placeholder prints: nothing for None, and never a character XML cannot carry
    (a control character typed before inputs were cleaned would make Word refuse the file)."""
    if value is None:
        return ""
    return xml_safe(value) if isinstance(value, str) else value


def make_environment(autoescape: bool = True) -> KyodoSandbox:
    """The sandbox of Word templates (autoescaped XML) or, ``autoescape=False``, of plain
    text (mail notices): the same filters, limits and strict undefined values."""
    env = KyodoSandbox(autoescape=autoescape, undefined=StrictUndefined,
                       keep_trailing_newline=True, finalize=_finalize)
    env.filters.update(FILTERS)
    env.filters.update({name: _bounded(name, env.filters[name]) for name in SIZED_FILTERS})
    return env


ENV = make_environment()
_PATCHER = DocxTemplate(io.BytesIO())  # only its XML-cleaning methods are used


@dataclass(frozen=True)
class CompiledTemplate:
    sha256: str
    #: Every entry as stored in the template (compressed), in order.
    entries: tuple[tuple[zipfile.ZipInfo, zipcopy.Member], ...]
    #: The compiled parts: rendered and deflated again on each render; the rest is copied.
    templates: Mapping[str, Any]
    #: Each templated part's source as compiled (one paragraph a line), for error messages.
    sources: Mapping[str, str]


#: What other word processors write for a quote that Word writes as it is: LibreOffice Writer
#: saves ``sum(attribute='amount')`` as ``sum(attribute=&apos;amount&apos;)``.
QUOTE_ENTITIES = {"&apos;": "'", "&#39;": "'", "&#x27;": "'",
                  "&quot;": '"', "&#34;": '"', "&#x22;": '"'}
_QUOTE_ENTITY = re.compile("|".join(map(re.escape, QUOTE_ENTITIES)))
_TAG = re.compile(r"\{[{%].*?[}%]\}", re.S)


def _prepare(name: str, xml: str) -> str:
    """A part's XML as Jinja reads it: docxtpl's ``patch_xml`` joins a tag split over runs,
    quotes written as entities are quotes again inside tags (the same template whatever
    program saved it), one paragraph a line (for error messages)."""
    if name == "docProps/core.xml":
        return xml
    patched = _PATCHER.patch_xml(xml)
    patched = _TAG.sub(lambda tag: _QUOTE_ENTITY.sub(
        lambda entity: QUOTE_ENTITIES[entity.group(0)], tag.group(0)), patched)
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)


def _finish(name: str, xml: str) -> str:
    if name == "docProps/core.xml":
        return xml
    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if "\n" in xml or "\t" in xml or "\a" in xml or "\f" in xml:
        xml = _PATCHER.resolve_listing(xml)  # line breaks inside values -> <w:br/>
    return xml


@functools.lru_cache(maxsize=64)
def _compile(sha256: str, data: bytes) -> CompiledTemplate:
    entries = []
    templates: dict[str, Any] = {}
    sources: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            entries.append((info, zipcopy.stored(data, info)))
            if TEMPLATED_PARTS.match(info.filename):
                text = archive.read(info).decode("utf-8")
                if "{" in text:
                    prepared = _prepare(info.filename, text)
                    sources[info.filename] = prepared
                    try:
                        templates[info.filename] = ENV.from_string(prepared)
                    except TemplateError as exc:
                        raise RenderError(describe(exc, info.filename, prepared)) from exc
    return CompiledTemplate(sha256, tuple(entries), templates, sources)


def compile_template(data: bytes) -> CompiledTemplate:
    return _compile(hashlib.sha256(data).hexdigest(), data)


def _bounded_render(template: Any, context: Mapping[str, Any]) -> str:
    """The part's text, stopped as soon as it passes MAX_PART_CHARS (a loop or filter that
    would make a document no one can open)."""
    chunks, size = [], 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_PART_CHARS:
            raise SecurityError("document too large")
        chunks.append(chunk)
    return "".join(chunks)


def render(data: bytes, context: Mapping[str, Any]) -> bytes:
    """Render a .docx template with ``context``; raise RenderError with a clear message."""
    compiled = compile_template(data)
    members = []
    for info, member in compiled.entries:
        template = compiled.templates.get(info.filename)
        if template is not None:
            try:
                content = _finish(info.filename, _bounded_render(template, context)).encode("utf-8")
            except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError,
                    AttributeError) as exc:
                raise RenderError(describe(exc, info.filename,
                                           compiled.sources[info.filename], context)) from exc
            member = zipcopy.deflated(info, content)
        members.append(member)
    return zipcopy.write(members)


CORE = "docProps/core.xml"
DC = "http://purl.org/dc/elements/1.1/"


def titled(data: bytes, title: str, language: str = "ja-JP") -> bytes:
    """The document with a title and a language in its properties where the template left
    them empty (read aloud and shown as the PDF's title, 「協定書　地域食堂の協働事業」);
    a title the template sets itself stays."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        core = next((i for i in infos if i.filename == CORE), None)
        if core is None:
            return data
        root = etree.fromstring(archive.read(core))
        changed = False
        for name, value in (("title", title), ("language", language)):
            element = root.find(f"{{{DC}}}{name}")
            if element is None:
                element = etree.SubElement(root, f"{{{DC}}}{name}")
            if not (element.text or "").strip():
                element.text, changed = value, True
        if not changed:
            return data
        content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        members = [zipcopy.deflated(info, content) if info is core else zipcopy.stored(data, info)
                   for info in infos]
    return zipcopy.write(members)
