"""Menus and buttons: stable payload ids, labels in the user's language."""

from __future__ import annotations

from bot.content import Content
from bot.core.messages import Button
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.settings import LANGUAGES

Rows = tuple[tuple[Button, ...], ...]

# Topic groups of the "safe-migration topics" menu, in the order shown.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "before": (
        "job_offer_red_flags",
        "verify_agency",
        "recruitment_fees",
        "work_contract",
        "legal_work_abroad",
        "documents_safety",
        "before_departure",
        "online_recruitment",
    ),
    "abroad": (
        "labour_rights_abroad",
        "trafficking_signs",
        "victim_rights",
        "assistance_services",
        "consular_help",
        "return_reintegration",
    ),
    "help": ("hotline_contacts", "domestic_violence", "child_safety"),
}


def category_label(tr: Translator, category: str) -> str:
    """The label of a topic group."""
    labels = {
        "before": tr._("Before you leave"),
        "abroad": tr._("Abroad or in trouble"),
        "help": tr._("Help lines and family"),
    }
    return labels[category]


def language_rows() -> Rows:
    """One button per language, each named in its own language."""
    buttons = [Button(f"lang:{code}", LANGUAGE_NAMES[code]) for code in LANGUAGES]
    return (tuple(buttons[:3]), tuple(buttons[3:]))


def main_menu(tr: Translator) -> Rows:
    """The main menu."""
    return (
        (Button("topics", tr._("Safe migration topics")),),
        (Button("offer", tr._("Check a job offer")),),
        (Button("human", tr._("Talk to a person")),),
        (Button("language", tr._("Change language")), Button("about", tr._("About and privacy"))),
    )


def back_row(tr: Translator) -> tuple[Button, ...]:
    """The way back to the main menu."""
    return (Button("menu", tr._("Main menu")),)


def categories(tr: Translator) -> Rows:
    """The topic groups."""
    rows = [(Button(f"cat:{name}", category_label(tr, name)),) for name in CATEGORIES]
    return (*rows, back_row(tr))


def topic_list(tr: Translator, content: Content, category: str) -> Rows:
    """The topics of one group that the content has."""
    rows = [
        (Button(f"topic:{tid}", content.topics[tid].text(tr.language).title),)
        for tid in CATEGORIES.get(category, ())
        if tid in content.topics
    ]
    return (*rows, (Button("topics", tr._("All topics")), *back_row(tr)))


def topic_buttons(tr: Translator, content: Content, topic_id: str, *, more: bool) -> Rows:
    """After an answer: "more", the related topics, and the main menu."""
    rows: list[tuple[Button, ...]] = []
    if more:
        rows.append((Button(f"more:{topic_id}", tr._("Tell me more")),))
    topic = content.topic(topic_id)
    for related in topic.related if topic else ():
        if related in content.topics:
            title = content.topics[related].text(tr.language).title
            rows.append((Button(f"topic:{related}", title),))
    rows.append(back_row(tr))
    return tuple(rows)
