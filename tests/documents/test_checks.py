"""Template checks on the file itself: each bad upload is named with a clear message."""

from __future__ import annotations

import pytest

from kyodo_admin.documents.checks import check_template
from kyodo_admin.services.documents import context_names

from .bad_templates import BAD_TEMPLATES, RENDER_FAILURES, clean_template

FILE_CHECKS = {name: item for name, item in BAD_TEMPLATES.items() if name not in RENDER_FAILURES}


@pytest.mark.parametrize("name", sorted(FILE_CHECKS))
def test_each_bad_template_is_named(name):
    build, message = FILE_CHECKS[name]
    problems = check_template(build(), context_names("agreement"))
    assert problems, name
    assert any(message in problem for problem in problems), problems


def test_a_clean_template_passes():
    assert check_template(clean_template(), context_names("agreement")) == []


def test_a_picture_that_stays_inside_itself_passes():
    """An SVG's own #fragments and a small inline PNG are part of the picture."""
    from .bad_templates import _svg, rezip

    dot = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    picture = _svg('<defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="1" '
                   f'height="1"/><use href="#g"/><image href="{dot}" width="1" height="1"/>')
    with_svg = rezip(clean_template(), extra={"word/media/image1.svg": picture,
                                              "word/media/image2.png": b"\x89PNG\r\n\x1a\n"})
    assert check_template(with_svg, context_names("agreement")) == []


def test_zip_bomb_is_refused_from_the_directory_alone(monkeypatch):
    """The sizes come from the zip's directory: nothing is unpacked to find out."""
    import zipfile

    data = BAD_TEMPLATES["zip_bomb"][0]()
    assert len(data) < 400_000
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *a, **k: pytest.fail("entry was read"))
    assert any("圧縮爆弾" in p for p in check_template(data, context_names("agreement")))


def test_all_problems_are_listed_at_once():
    data = clean_template("｛｛ organization.name ｝｝", "{{ seal }}", "{{ x or 「未定」 }}")
    problems = check_template(data, context_names("agreement"))
    assert len(problems) == 3, problems


def test_a_template_of_another_kind_is_named_as_such(shipped):
    problems = check_template(shipped("kamakura", "agreement"), context_names("basic_sheet"))
    assert len(problems) == 1
    assert "agreement" in problems[0] and "別の種類の様式ではありませんか" in problems[0]


@pytest.fixture
def shipped():
    from kyodo_admin.services.documents import SHIPPED

    return lambda city, kind: (SHIPPED / city / f"{kind}.docx").read_bytes()
