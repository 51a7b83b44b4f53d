"""PDF documents (fpdf2) that show Chinese text when the machine has a CJK font."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core import fonts

if TYPE_CHECKING:
    from fpdf import FPDF

# Where the machine's CJK font is: core.fonts knows, since it cuts the small font from it.
cjk_font = fonts.cjk_font


def _keep(text: str) -> str:
    return text


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def new_document(*, margin: float = 18) -> tuple[FPDF, str, Callable[[str], str]]:
    """An A4 document with one page, the font family to use, and a text cleaner to pass every
    text through before writing it.

    With a CJK font, documents use the small cut of it (see `core.fonts`) once it is built.
    Without one the built-in Helvetica only knows Latin-1, so other characters become
    "?" instead of failing the whole document.
    """
    # Imported here, so only a process that writes a PDF loads fpdf2.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=margin)
    pdf.add_page()
    font = cjk_font()
    if font is None:
        return pdf, "helvetica", _latin1
    small = fonts.small_font(*font)
    if small is None:
        pdf.add_font("cjk", "", str(font[0]), collection_font_number=font[1])
        return pdf, "cjk", _keep
    pdf.add_font("cjk", "", str(small))
    covered = pdf.fonts["cjk"].cmap

    def keep(text: str) -> str:
        # A character the small font lacks (a rare hanzi in a name): the full font joins
        # this document as the fallback, so it prints rather than showing a blank.
        if "cjk-full" not in pdf.fonts and any(
            ord(ch) >= 0x20 and ord(ch) not in covered for ch in text
        ):
            pdf.add_font("cjk-full", "", str(font[0]), collection_font_number=font[1])
            pdf.set_fallback_fonts(["cjk-full"])
        return text

    return pdf, "cjk", keep
