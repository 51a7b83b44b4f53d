"""PDFs use a small cut of the CJK font once it is built, and the full font for what it lacks."""

import threading

import pytest

from core import fonts, pdf

FOUND = pdf.cjk_font()
pytestmark = pytest.mark.skipif(FOUND is None, reason="no CJK font on this machine")
IN_CUT = "志愿服务证明 Certificate 2026"


@pytest.fixture
def cut(tmp_path, monkeypatch):
    """A cut holding only the characters of IN_CUT (quick to build), in a private cache."""
    monkeypatch.setattr(fonts, "CACHE_DIR", tmp_path / "fonts")
    return fonts.build(*FOUND, codes={ord(ch) for ch in IN_CUT})


def write(text: str) -> tuple[object, bytes]:
    document, family, clean = pdf.new_document()
    document.set_font(family, size=12)
    document.multi_cell(0, 7, clean(text), new_x="LMARGIN", new_y="NEXT")
    return document, bytes(document.output())


def test_a_document_uses_the_small_cut_once_it_is_built(cut):
    assert cut.stat().st_size < FOUND[0].stat().st_size / 50
    document, output = write(IN_CUT)
    assert document.fonts["cjk"].ttffile == cut
    assert "cjk-full" not in document.fonts
    assert output.startswith(b"%PDF-") and b"/FontFile3" in output


def test_a_character_outside_the_cut_prints_from_the_full_font(cut):
    document, output = write(IN_CUT + " 王堃")
    assert document.fonts["cjk"].ttffile == cut
    full = document.fonts["cjk-full"]
    used = {code for glyph in full.subset.items() if glyph[0] for code in glyph[0].unicode}
    assert {ord("王"), ord("堃")} <= used
    assert output.count(b"/FontFile3") == 2


def test_without_the_cut_a_document_uses_the_full_font_and_the_cut_is_built_once(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(fonts, "CACHE_DIR", tmp_path / "fonts")
    monkeypatch.setattr(fonts, "_started", set())
    built = threading.Event()
    calls = []

    def build(source, number):
        calls.append((source, number))
        built.set()

    monkeypatch.setattr(fonts, "build", build)
    document, _output = write(IN_CUT)
    assert document.fonts["cjk"].ttffile == FOUND[0]
    assert built.wait(10)
    write(IN_CUT)
    assert calls == [FOUND]
