"""A small CJK font for PDFs: the common characters cut once from the system's large font."""

from __future__ import annotations

import os
import threading
from pathlib import Path

# A CJK font holds some 65,000 glyphs, and fpdf2 parses and subsets the whole file for every
# document (about 0.4 s of CPU each). Cut to the characters documents almost always use (GB
# 2312's 6,763 hanzi, Latin, punctuation, full-width forms), it is 1.5 MB and a document
# takes a fifth of that. Characters outside it still print: the writer then adds the full
# font as a fallback for that document.
VERSION = 1
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "recovery-commons"


def _gb2312_hanzi() -> set[int]:
    found = set()
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode("gb2312")
        except UnicodeEncodeError:
            continue
        found.add(code)
    return found


def working_set() -> set[int]:
    """The code points the small font keeps."""
    blocks = (
        (0x20, 0x7F),  # ASCII
        (0xA0, 0x250),  # Latin-1 and Latin Extended-A/B
        (0x2000, 0x2070),  # general punctuation
        (0x20A0, 0x20C0),  # currency signs
        (0x2100, 0x2200),  # letterlike symbols, number forms, arrows
        (0x3000, 0x3040),  # CJK symbols and punctuation
        (0xFF00, 0xFFF0),  # full-width forms
    )
    return {code for start, end in blocks for code in range(start, end)} | _gb2312_hanzi()


def cached_path(source: Path, number: int) -> Path:
    """Where the small font cut from `source` lives; a changed source file gets a new name."""
    stat = source.stat()
    name = f"{source.stem}-{number}-{stat.st_size}-{stat.st_mtime_ns}-v{VERSION}.otf"
    return CACHE_DIR / name


def build(source: Path, number: int, codes: set[int] | None = None) -> Path:
    """Cut the small font (a few seconds of CPU) and store it atomically; returns its path."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    target = cached_path(source, number)
    options = subset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        name_IDs=["*"],
        hinting=False,
        desubroutinize=True,
        # fpdf2 writes glyphs by character without shaping: no vertical or layout tables.
        layout_features=[],
        drop_tables=["vmtx", "vhea", "VORG", "GSUB", "GPOS", "BASE"],
    )
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=working_set() if codes is None else codes)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    with TTFont(source, fontNumber=number, lazy=True, recalcTimestamp=False) as font:
        subsetter.subset(font)
        font.save(partial)
    os.replace(partial, target)
    return target


# Each source is cut at most once per process: a failure (say, no writable cache) is not
# retried on every document.
_started: set[tuple[Path, int]] = set()
_lock = threading.Lock()


def small_font(source: Path, number: int) -> Path | None:
    """The small font cut from `source`, if it is built; else None, and it starts building in
    the background so that later documents get it (the first ones use the full font)."""
    try:
        target = cached_path(source, number)
    except OSError:
        return None
    if target.is_file():
        return target
    with _lock:
        if (source, number) in _started:
            return None
        _started.add((source, number))
    threading.Thread(target=_build_quietly, args=(source, number), daemon=True).start()
    return None


def _build_quietly(source: Path, number: int) -> None:
    try:
        build(source, number)
    except Exception:  # an unwritable cache only costs speed: documents use the full font
        import logging

        logging.getLogger(__name__).warning("could not cut the small CJK font", exc_info=True)
