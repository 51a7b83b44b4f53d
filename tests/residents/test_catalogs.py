"""The domains' catalogs are merged into one per language, so one msgid must mean one thing:
no two catalogs may translate the same (context, msgid) differently; words that mean other
things in other places ("Received" funds, a "Received" request) carry a pgettext context."""

from pathlib import Path

from babel.messages.pofile import read_po

from core.i18n import TRANSLATIONS_DIR, gettext, pgettext, using_locale


def _translations(locale: str) -> dict[tuple[str | None, str], dict[str, list[str]]]:
    found: dict[tuple[str | None, str], dict[str, list[str]]] = {}
    for path in sorted(Path(TRANSLATIONS_DIR, locale, "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id or not message.string:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else message.string[0]
            if text:
                found.setdefault((message.context, msgid), {}).setdefault(text, []).append(
                    path.stem
                )
    return found


def test_no_two_catalogs_translate_the_same_msgid_differently():
    clashes = {
        f"{context + ': ' if context else ''}{msgid}": texts
        for (context, msgid), texts in _translations("zh_Hans").items()
        if len(texts) > 1
    }
    assert clashes == {}, "use pgettext where the word means another thing, else one wording"


def test_a_context_keeps_each_meaning_in_the_merged_catalog():
    with using_locale("zh_Hans"):
        assert gettext("Received") == "已到账"  # money received
        assert pgettext("help request", "Received") == "已收到"
        assert gettext("Verified") == "已认证"  # an organization
        assert pgettext("help request", "Verified") == "已核实"
        assert gettext("Name") == "名称" and pgettext("person", "Name") == "姓名"
        assert gettext("Open") == "待满足" and pgettext("shift", "Open") == "开放"
    with using_locale("en"):
        assert pgettext("help request", "Received") == "Received"
