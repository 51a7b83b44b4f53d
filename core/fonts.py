"""A small CJK font for PDFs: the common characters cut once from the system's large font."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A CJK font holds some 65,000 glyphs, and fpdf2 parses and subsets the whole file for every
# document (about 0.4 s of CPU each). Cut to the characters documents almost always use (GB
# 2312's 6,763 hanzi, Latin, punctuation, full-width forms), it is 1.5 MB and a document
# takes a fifth of that. Characters outside it still print: the writer then adds the full
# font as a fallback for that document.
VERSION = 1
# Debian's CJK fonts (CI installs fonts-noto-cjk); the number picks Simplified Chinese in a
# collection.
CJK_FONTS = (
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2),
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0),
    (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),
)
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
    """Cut the small font (a few seconds of CPU) and store it atomically; returns its path.

    Callers go through `ensure`, which makes sure only one process cuts it at a time."""
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
    # Written under another name and renamed when complete (and on disk), so no reader ever
    # opens a half-written font, even after a crash mid-write.
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with TTFont(source, fontNumber=number, lazy=True, recalcTimestamp=False) as font:
            subsetter.subset(font)
            font.save(partial)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # flock is held per open file, so it also keeps two threads of one process apart, and the
    # kernel drops it if the holder dies: a killed build never blocks the next one.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def ensure(source: Path, number: int, codes: set[int] | None = None) -> Path:
    """The small font cut from `source`, cut now unless some process already has. Processes
    that ask at once take turns on a lock file beside it: the first cuts, the others wait for
    it and reuse its file, so the font is never cut twice."""
    target = cached_path(source, number)
    if target.is_file():
        return target
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(target.with_name(target.name + ".lock")):
        if target.is_file():
            return target
        return build(source, number, codes)


def cjk_font() -> tuple[Path, int] | None:
    """The machine's CJK font file and its number in a collection, or None."""
    for path, number in CJK_FONTS:
        if path.is_file():
            return path, number
    return None


def prepare() -> Path | None:
    """Cut the small font of this machine's CJK font unless it is there (the first time, a few
    seconds). `commons serve` and `commons worker` call it before they start (and before web
    workers fork), the test session once; None without a CJK font or a writable cache, and
    documents then use the full font."""
    font = cjk_font()
    if font is None:
        return None
    try:
        return ensure(*font)
    except Exception:  # an unwritable cache only costs speed: documents use the full font
        logging.getLogger(__name__).warning("could not cut the small CJK font", exc_info=True)
        return None


# A process not started by `commons` (a bare uvicorn, a script) may find no cut: it starts
# one in the background, at most once per source, so a failure (say, no writable cache) is
# not retried on every document.
_started: set[tuple[Path, int]] = set()
_lock = threading.Lock()


def small_font(source: Path, number: int) -> Path | None:
    """The small font cut from `source`, if it is built; else None (the document uses the full
    font), and it starts being cut in the background for later documents."""
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
    threading.Thread(target=_ensure_quietly, args=(source, number), daemon=True).start()
    return None


def _ensure_quietly(source: Path, number: int) -> None:
    try:
        ensure(source, number)
    except Exception:
        logging.getLogger(__name__).warning("could not cut the small CJK font", exc_info=True)
