"""The Docker image's recipe: the CJK font the PDFs need is installed where core/fonts.py
looks, and its cut is cached where the image's system user may write."""

import re

from core import fonts
from core.settings import ROOT

DOCKERFILE = (ROOT / "platform" / "deploy" / "Dockerfile").read_text()


def test_the_image_installs_the_cjk_font_core_fonts_looks_for_first():
    installs = re.search(r"apt-get install[^&]*", DOCKERFILE)
    assert installs is not None and "fonts-noto-cjk" in installs.group(0).split()
    # Debian's fonts-noto-cjk ships this file; core/fonts.py tries it first.
    first, number = fonts.CJK_FONTS[0]
    assert str(first) == "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc" and number == 2


def test_the_image_cuts_the_font_into_a_folder_its_user_owns():
    cache = re.search(r"ENV XDG_CACHE_HOME=(\S+)", DOCKERFILE)
    assert cache is not None and cache.group(1).startswith("/srv/commons/var")
    assert "chown commons var" in DOCKERFILE
    assert DOCKERFILE.index("USER commons") < DOCKERFILE.index("fonts.prepare()")
