"""PDFs use a small cut of the CJK font once it is built, and the full font for what it lacks."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import fonts, pdf
from core.settings import ROOT

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


def test_without_the_cut_a_document_uses_the_full_font_and_the_cut_is_started_once(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(fonts, "CACHE_DIR", tmp_path / "fonts")
    monkeypatch.setattr(fonts, "_started", set())
    built = threading.Event()
    calls = []

    def ensure(source, number):
        calls.append((source, number))
        built.set()

    monkeypatch.setattr(fonts, "ensure", ensure)
    document, _output = write(IN_CUT)
    assert document.fonts["cjk"].ttffile == FOUND[0]
    assert built.wait(10)
    write(IN_CUT)
    assert calls == [FOUND]


def test_the_session_cut_is_the_one_documents_use(cjk_font_cut):
    assert cjk_font_cut == fonts.cached_path(*FOUND)
    document, _output = write(IN_CUT)
    assert document.fonts["cjk"].ttffile == cjk_font_cut
    assert not list(cjk_font_cut.parent.glob("*.part"))


def test_threads_asking_together_cut_the_font_once(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "CACHE_DIR", tmp_path / "fonts")
    real, calls, inside = fonts.build, [], threading.Event()

    def build(source, number, codes=None):
        calls.append(threading.get_ident())
        inside.set()
        time.sleep(0.3)  # the other thread asks while this one holds the lock
        return real(source, number, codes)

    monkeypatch.setattr(fonts, "build", build)
    codes = {ord(ch) for ch in IN_CUT}
    results = []
    first = threading.Thread(target=lambda: results.append(fonts.ensure(*FOUND, codes)))
    first.start()
    assert inside.wait(10)
    assert not fonts.cached_path(*FOUND).exists()
    second = threading.Thread(target=lambda: results.append(fonts.ensure(*FOUND, codes)))
    second.start()
    first.join(30)
    second.join(30)
    assert len(calls) == 1
    assert results == [fonts.cached_path(*FOUND)] * 2


# Run in a process of its own: "first" cuts the font and holds the lock until "second" is
# about to ask (the go file); "second" checks the cut is not there yet, then asks.
CUTTER = """
import json, sys, time
from pathlib import Path
from core import fonts, pdf
from core.settings import ROOT

role, folder = sys.argv[1], Path(sys.argv[2])
real, built = fonts.build, []

def build(source, number, codes=None):
    built.append(True)
    (folder / "building").touch()
    if role == "first":
        deadline = time.monotonic() + 60
        while not (folder / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.5)
    return real(source, number, codes)

fonts.build = build
source, number = pdf.cjk_font()
there_before = fonts.cached_path(source, number).exists()
if role == "second":
    (folder / "go").touch()
path = fonts.ensure(source, number, {ord(ch) for ch in sys.argv[3]})
print(json.dumps({"built": bool(built), "there_before": there_before, "path": str(path)}))
"""


def test_a_second_process_waits_for_the_first_ones_cut_and_reuses_it(tmp_path, monkeypatch):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}

    def start(role):
        return subprocess.Popen(
            [sys.executable, "-c", CUTTER, role, str(tmp_path), IN_CUT],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )

    first = start("first")
    deadline = time.monotonic() + 60
    while not (tmp_path / "building").exists():
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    second = start("second")
    outputs = [json.loads(process.communicate(timeout=120)[0]) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0]
    assert outputs[0]["built"] and not outputs[0]["there_before"]
    # The second found no cut, yet did not cut one: it waited on the lock and reused the first's.
    assert not outputs[1]["built"] and not outputs[1]["there_before"]
    assert outputs[0]["path"] == outputs[1]["path"]
    cut = Path(outputs[0]["path"])
    assert cut.parent == tmp_path / "cache" / "recovery-commons"
    assert [p.name for p in cut.parent.iterdir() if not p.name.endswith(".lock")] == [cut.name]
    monkeypatch.setattr(fonts, "CACHE_DIR", cut.parent)
    document, _output = write(IN_CUT)
    assert document.fonts["cjk"].ttffile == cut


@pytest.mark.parametrize("command", [["serve", "--workers", "2"], ["worker", "--once"]])
def test_serve_and_worker_cut_the_font_before_they_start(command, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from core import cli, logs, worker

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr(fonts, "CACHE_DIR", tmp_path / "fonts")
    real = fonts.build
    # The real cut, of a few characters only, to keep the test quick.
    monkeypatch.setattr(
        fonts,
        "build",
        lambda source, number, codes=None: real(source, number, set(map(ord, IN_CUT))),
    )
    there_at_start = []

    def uvicorn_run(*args, **kwargs):
        there_at_start.append(fonts.cached_path(*FOUND).is_file())

    async def run_jobs(database, *, once=False):
        there_at_start.append(fonts.cached_path(*FOUND).is_file())
        await database.dispose()

    monkeypatch.setattr(cli.uvicorn, "run", uvicorn_run)
    monkeypatch.setattr(worker, "run", run_jobs)
    monkeypatch.setattr(logs, "configure_logging", lambda settings: None)
    result = CliRunner().invoke(cli.app, command)
    assert result.exit_code == 0, result.output
    assert there_at_start == [True]
    assert f"CJK font for PDFs: {fonts.cached_path(*FOUND)}" in result.output
