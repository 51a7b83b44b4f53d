"""Templates' `_()` remembers a label per language: the same text as Jinja's own, in each."""

from jinja2 import Environment

from core.i18n import gettext, ngettext, using_locale


def test_a_remembered_label_reads_as_jinja_s_own(app):
    env = app.state.templates.env
    plain = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    plain.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    source = (
        '{{ _("Recovery Commons") }}|{{ _("100%% sure") }}|'
        '{{ _("Needs of %(incident)s", incident="<b>") }}'
    )
    for locale in ("en", "zh_Hans", "en", "zh_Hans"):
        with using_locale(locale):
            assert env.from_string(source).render() == plain.from_string(source).render()
    with using_locale("zh_Hans"):
        chinese = env.from_string(source).render()
    with using_locale("en"):
        english = env.from_string(source).render()
    assert chinese != english and english.startswith("Recovery Commons|100% sure|")
    assert "&lt;b&gt;" in english
