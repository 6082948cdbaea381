"""The real content: every topic in every language, right numbers, and a check that bites."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest
import yaml

from bot.content import Content, load_content
from bot.content.check import check_all
from bot.core.turn import TOPIC_INTENTS
from bot.render import to_html, to_plain, to_telegram_html
from bot.settings import LANGUAGES, REPO_ROOT

CONTENT = REPO_ROOT / "content"
LOCALES = REPO_ROOT / "locales"


@functools.cache
def shipped() -> Content:
    """The repository's content, read once for the whole module."""
    return load_content(CONTENT)


def test_the_shipped_content_passes_the_check() -> None:
    assert check_all(CONTENT, LOCALES) == []


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("topic", sorted(TOPIC_INTENTS))
def test_every_topic_answers_in_every_language(topic: str, lang: str) -> None:
    content = shipped()
    answer, _more = content.render_answer(topic, lang)
    assert answer and "{" not in answer
    assert content.topics[topic].texts[lang].review in {"needs_review", "reviewed",
                                                        "needs_native_review"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_emergency_answer_always_carries_112_and_the_hotline(lang: str) -> None:
    answer, _ = shipped().render_answer("emergency", lang)
    assert "**112**" in answer
    assert "**0 800 77777**" in answer and "**+373 22 23 33 09**" in answer


@pytest.mark.parametrize(("topic", "number"), [("domestic_violence", "0 8008 8008"),
                                               ("child_safety", "116 111")])
def test_special_lines_are_in_their_answers(topic: str, number: str) -> None:
    content = shipped()
    for lang in LANGUAGES:
        answer, more = content.render_answer(topic, lang)
        assert number in answer + more, lang


def test_unverified_numbers_are_never_shown() -> None:
    content = shipped()
    hidden = [s.number for s in content.national.values() if not s.verified]
    hidden += [s.number for group in content.countries.values() for s in group if not s.verified]
    assert "+373 22 254 998" in hidden  # the police centre: FACTS.md cannot confirm it today
    shown = "".join(content.render_answer(t, lang)[0] + content.render_answer(t, lang)[1]
                    for t in [*content.topics, *content.special] for lang in LANGUAGES)
    shown += "".join(s.number for c in content.countries for s in content.country_services(c))
    for number in hidden:
        assert number not in shown


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the content to break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def reply(data, reply_id: str):  # type: ignore[no-untyped-def]
    """One canned reply of canned.yml's data, by id."""
    return next(r for r in data["replies"] if r["id"] == reply_id)


BREAKAGES = [
    ("A language is missing", "topics/work_contract.yml",
     lambda d: d["text"].pop("uk"), "no uk text"),
    ("A placeholder differs between languages", "topics/hotline_contacts.yml",
     lambda d: d["text"]["ru"].update(answer=d["text"]["ru"]["answer"] + " {trust_line}"),
     "placeholders differ"),
    ("An unverified number is used", "topics/hotline_contacts.yml",
     lambda d: [d["text"][lang].update(answer=d["text"][lang]["answer"] + " {cctp}")
                for lang in d["text"]], "unverified number"),
    ("No sources", "topics/verify_agency.yml", lambda d: d.update(sources=[]), "no sources"),
    ("A related topic that does not exist", "topics/verify_agency.yml",
     lambda d: d.update(related=["weather"]), "does not exist"),
    ("Romani marked as reviewed by nobody", "topics/verify_agency.yml",
     lambda d: d["text"]["rom"].update(review="needs_review"), "native speaker"),
    ("An answer longer than a phone screen", "topics/verify_agency.yml",
     lambda d: d["text"]["en"].update(answer="x" * 800), "answer must have"),
    ("A canned reply misses a language", "canned.yml",
     lambda d: reply(d, "greeting")["text"].pop("rom"), "canned.yml: greeting: no rom text"),
    ("A canned reply has no body", "canned.yml",
     lambda d: reply(d, "closing")["text"]["uk"].update(body=""),
     "canned.yml: closing: uk: no body"),
    ("A canned reply's placeholders differ between languages", "canned.yml",
     lambda d: reply(d, "call_us")["text"]["ru"].update(
         body=reply(d, "call_us")["text"]["ru"]["body"].replace("{hotline_abroad}", "")),
     "canned.yml: call_us: placeholders differ"),
    ("A canned reply names an unknown service", "canned.yml",
     lambda d: [t.update(body=t["body"] + " {hotlin}")
                for t in reply(d, "closing")["text"].values()],
     "canned.yml: closing: en: unknown placeholder {hotlin}"),
    ("A canned reply shows an unverified number", "canned.yml",
     lambda d: [t.update(body=t["body"] + " {cctp}")
                for t in reply(d, "closing")["text"].values()],
     "canned.yml: closing: ro: {cctp} is an unverified number"),
    ("A canned reply uses an id twice", "canned.yml",
     lambda d: reply(d, "closing").update(id="greeting"), "canned.yml: greeting: duplicate id"),
]


@pytest.mark.parametrize(("label", "file", "change", "message"), BREAKAGES,
                         ids=[b[0] for b in BREAKAGES])
def test_the_check_fails_on_a_broken_file(broken: Path, label: str, file: str, change,  # type: ignore[no-untyped-def]
                                          message: str) -> None:
    edit(broken / file, change)
    problems = check_all(broken, LOCALES)
    assert any(message in p for p in problems), (label, problems)


def test_the_check_fails_on_an_invalid_phone_number(broken: Path) -> None:
    path = broken / "services.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('"0 800 77777"', '"0 800 7777"'),
                    encoding="utf-8")
    assert any("not a valid number" in p for p in check_all(broken, LOCALES))


def test_the_check_fails_on_an_untranslated_catalogue_entry(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    po = locales / "ru" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgid "Main menu"')
    end = text.index("\n\n", start)
    po.write_text(text[:start] + 'msgid "Main menu"\nmsgstr ""' + text[end:], encoding="utf-8")
    assert any("untranslated" in p and "Main menu" in p for p in check_all(CONTENT, locales))


def test_one_source_renders_for_every_channel() -> None:
    source = "Call **0 800 77777** <now> & [see](https://lastrada.md/x?a=1&b=2)\n\n- one\n- two"
    assert to_telegram_html(source).startswith("Call <b>0 800 77777</b> &lt;now&gt; &amp; <a ")
    assert to_plain(source).startswith("Call 0 800 77777 <now> & see (https://lastrada.md/x?a=1&b=2)")
    assert "<ul><li>one</li><li>two</li></ul>" in to_html(source)


def test_the_check_fails_on_a_stale_catalogue_entry(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    po = locales / "uk" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "A sentence the code no longer says"\n'
                  'msgstr "Речення, якого вже немає"\n', encoding="utf-8")
    assert any("stale" in p and "no longer says" in p for p in check_all(CONTENT, locales))


def test_the_check_fails_on_a_catalogue_entry_with_other_placeholders(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    po = locales / "ro" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert "{hotline_abroad} din străinătate" in text
    po.write_text(text.replace("{hotline_abroad} din", "{hotline_abroad_} din"), encoding="utf-8")
    assert any("placeholders differ from the msgid" in p and "All operators are busy" in p
               for p in check_all(CONTENT, locales))


def test_a_plural_form_may_leave_out_the_count_but_nothing_else() -> None:
    from bot.content.check import _same_placeholders

    ids = ("{n} minute to {place}", "{n} minutes to {place}")
    assert _same_placeholders(ids, ("o minută până la {place}", "{n} minute până la {place}"))
    assert not _same_placeholders(ids, ("{n} minut", "{n} minute până la {place}"))
    assert not _same_placeholders(ids, ("{n} minut {x} {place}", "{n} minute {place}"))


def test_canned_replies_are_optional(broken: Path) -> None:
    (broken / "canned.yml").unlink()
    assert check_all(broken, LOCALES) == []


def test_the_fixture_content_has_no_canned_reply_problem() -> None:
    fixtures = Path(__file__).resolve().parent / "fixtures" / "content"
    assert not (fixtures / "canned.yml").exists()
    assert not [p for p in check_all(fixtures, LOCALES) if "canned" in p]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_canned_reply_exists_in_every_language_with_numbers_filled(lang: str) -> None:
    data = yaml.safe_load((CONTENT / "canned.yml").read_text(encoding="utf-8"))
    for item in data["replies"]:
        text = item["text"][lang]
        assert text["title"].strip(), item["id"]
        assert "{" not in shipped().fill(text["body"], lang), item["id"]
