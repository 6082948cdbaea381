"""One turn of the conversation: from what the user did to the bot's replies.

Pure decisions over the conversation state; the caller loads and stores the
state and the replies in one transaction (see ``dialogue.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from babel import Locale

from bot.content import Content
from bot.core import menus
from bot.core.messages import Button, Incoming, Kind, Outgoing
from bot.handoff.service import Escalation
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, Catalogs, Translator, negotiate
from bot.offers import OfferData, OfferReport, ReportedOffer, check_offer, looks_like_offer
from bot.offers.questionnaire import questionnaire_report
from bot.offers.render import render_report
from bot.settings import LANGUAGES

if TYPE_CHECKING:
    from nlu import Parse

MAX_TEXT = 10_000  # characters kept of one message; the rest is dropped, and the user told so
COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
CAMPAIGN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SWITCH_CONFIDENCE = 0.9  # a message must be clearly in another language before we offer to switch
MISSES_BEFORE_HUMAN = 2
TOPIC_INTENTS = frozenset(tid for ids in menus.CATEGORIES.values() for tid in ids) | {"about_bot"}
OUT_OF_SCOPE_SURE = 0.5
OFFER_LIKE_MIN = 120  # characters: shorter texts are questions, not pasted job ads


@dataclass(frozen=True, slots=True)
class OfferTools:
    """What the offer check needs: its data, the fingerprint key, confirmed scams."""

    data: OfferData
    key: bytes
    reported: tuple[ReportedOffer, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckedOffer:
    """An offer checked during the turn; the caller stores it without personal data."""

    source: str  # text | questionnaire
    report: OfferReport
    text: str | None


@dataclass(slots=True)
class State:
    """The part of a conversation a turn reads and changes."""

    language: str | None
    step: str
    context: dict[str, Any]
    campaign: str | None = None
    erase: bool = False  # set by a confirmed /forget: the caller deletes the transcript
    handoff: str | None = None  # "waiting" or "active" while the chat is with the hotline


@dataclass(slots=True)
class Turn:
    """Decides the replies to one incoming message."""

    state: State
    content: Content
    catalogs: Catalogs
    parse: Parse | None = None
    offers: OfferTools | None = None
    replies: list[Outgoing] = field(default_factory=list)
    checks: list[CheckedOffer] = field(default_factory=list)
    # What the caller does with the handoff after the turn (see dialogue.py):
    escalation: Escalation | None = None  # open one, or raise an open one's urgency
    leave: bool = False  # the user goes back to the bot
    relayed: bool = False  # the text is for the operator; the bot does not answer it
    queue_status: bool = False  # tell the user where they stand in the queue

    @property
    def tr(self) -> Translator:
        """The translator of the conversation's language."""
        return self.catalogs.get(self.state.language or DEFAULT_LANGUAGE)

    def say(self, text: str, buttons: menus.Rows = ()) -> None:
        """Queue one reply in the conversation's language."""
        self.replies.append(Outgoing(text=text, buttons=buttons, language=self.tr.language))

    # --- entry point ---------------------------------------------------------------------

    def run(self, incoming: Incoming) -> list[Outgoing]:
        """Decide the replies; the state is changed in place."""
        text = incoming.text or ""
        if incoming.kind is Kind.BUTTON and incoming.button:
            self._button(incoming.button, incoming)
        elif incoming.kind is not Kind.TEXT:
            self._attachment(incoming.kind)
        elif not text.strip():
            self.say(self.tr._("I received an empty message. Write your question in words, "
                               "or use the buttons."), self._menu_or_languages())
        elif match := COMMAND.match(text.strip()):
            self._command(match.group(1).lower(), (match.group(2) or "").strip(), incoming)
        else:
            if len(text) > MAX_TEXT:
                self.say(self.tr._("Your message is very long. I read only its beginning."))
            self._free_text(text[:MAX_TEXT], incoming)
        return self.replies

    # --- commands and buttons --------------------------------------------------------------

    def _command(self, name: str, argument: str, incoming: Incoming) -> None:
        if name == "start":
            if argument and CAMPAIGN.match(argument) and not self.state.campaign:
                self.state.campaign = argument
            self._start(incoming)
        elif name == "menu":
            self._menu()
        elif name == "help":
            self._help()
        elif name == "language":
            self._choose_language()
        elif name == "forget":
            self._forget_confirm()
        elif name == "bot":
            self._back_to_bot()
        elif name in ("human", "operator"):
            self._human("asked")
        else:
            self.say(self.tr._("I do not know the command /{name}.", name=name[:32]))
            self._help()

    def _button(self, button: str, incoming: Incoming) -> None:
        kind, _, arg = button.partition(":")
        if kind in ("lang", "switch") and arg in LANGUAGES:
            self.state.language = arg
            if kind == "lang":
                self.say(self.tr._("Welcome! I answer questions about working abroad safely, "
                                   "check job offers and can put you in touch with a person "
                                   "from the hotline. Everything here is anonymous."))
            self._menu()
        elif self.state.language is None:
            self._start(incoming)
        elif kind == "menu":
            self._menu()
        elif kind == "topics":
            self.state.step = "topics"
            self.say(self.tr._("Choose a group of topics:"), menus.categories(self.tr))
        elif kind == "cat" and arg in menus.CATEGORIES:
            self.state.step = f"cat:{arg}"
            self.say(menus.category_label(self.tr, arg) + ":",
                     menus.topic_list(self.tr, self.content, arg))
        elif kind == "topic" and self.content.topic(arg):
            self._topic(arg)
        elif kind == "more" and self.content.topic(arg):
            self._more(arg)
        elif kind == "offer":
            self._offer_start()
        elif kind == "offerq" and self.offers is not None:
            self._questionnaire(arg, self.offers)
        elif kind == "human":
            self._human(arg if arg in ("emergency", "high_risk_offer", "misunderstanding")
                        else "asked")
        elif kind == "bot":
            self._back_to_bot()
        elif kind == "language":
            self._choose_language()
        elif kind == "about":
            self._topic("about_bot")
        elif kind == "forget":
            self._forget(arg == "yes")
        elif kind == "did" and self.content.topic(arg):
            self.state.context["misses"] = 0
            self._topic(arg)
        else:
            # An old or unknown button (for example from before an update): show the menu.
            self.say(self.tr._("That button is no longer active."))
            self._menu()

    def _start(self, incoming: Incoming) -> None:
        if self.state.language is None:
            hinted = negotiate([incoming.locale_hint]) or DEFAULT_LANGUAGE
            self.state.step = "start"
            self.replies.append(Outgoing(
                text=self.catalogs.get(hinted)._("Hello! Choose your language:") + "\n\n"
                + " · ".join(self.catalogs.get(c)._("Choose your language:").rstrip(":")
                             for c in LANGUAGES if c != hinted),
                buttons=menus.language_rows(),
                language=hinted,
            ))
        else:
            self.say(self.tr._("Hello again!"))
            self._menu()

    def _menu(self) -> None:
        self.state.step = "menu"
        self.say(self.tr._("What would you like to do?"), menus.main_menu(self.tr))

    def _menu_or_languages(self) -> menus.Rows:
        return menus.main_menu(self.tr) if self.state.language else menus.language_rows()

    def _help(self) -> None:
        self.say(self.tr._(
            "I can answer questions about working abroad safely, check a job offer and put "
            "you in touch with a hotline counsellor. Write your question in your own words, "
            "or use the buttons.\n\nCommands:\n- /menu: the main menu\n- /language: change "
            "the language\n- /human: talk to a person\n- /bot: back to the bot after talking "
            "to a person\n- /forget: erase our conversation\n- /help: this message"),
            self._menu_or_languages())

    def _choose_language(self) -> None:
        self.state.step = "language"
        self.say(self.tr._("Choose your language:"), menus.language_rows())

    # --- answers ---------------------------------------------------------------------------

    def _topic(self, topic_id: str, country: str | None = None) -> None:
        lang = self.tr.language
        answer, more = self.content.render_answer(topic_id, lang)
        topic = self.content.topic(topic_id)
        country = country or self.state.context.get("country")
        if topic is not None and topic.country_part and country:
            answer += self._country_part(country)
        self.state.step = f"topic:{topic_id}"
        self.say(answer, menus.topic_buttons(self.tr, self.content, topic_id, more=bool(more)))

    def _more(self, topic_id: str) -> None:
        _, more = self.content.render_answer(topic_id, self.tr.language)
        self.say(more or self.tr._("That is all I have on this topic."),
                 menus.topic_buttons(self.tr, self.content, topic_id, more=False))

    def _country_part(self, country: str) -> str:
        services = self.content.country_services(country)
        if not services:
            return ""
        lang = self.tr.language
        lines = [f"- {s.name(lang)}: **{s.number}**" + (f" ({s.notes[lang]})" if lang in s.notes
                                                       else "") for s in services]
        heading = self.tr._("In {country}:", country=country_name(country, lang))
        return "\n\n" + heading + "\n" + "\n".join(lines)

    def _emergency(self, country: str | None) -> None:
        lang = self.tr.language
        answer, _ = self.content.render_answer("emergency", lang)
        if country:
            answer += self._country_part(country)
        # The numbers come first, in this same reply; the chat goes to the front of the queue.
        self.state.step = "handoff"
        self.escalation = Escalation("emergency", urgent=True)
        self.say(answer)

    def _human(self, reason: str) -> None:
        if self.state.handoff and reason != "emergency":
            self.queue_status = True
            return
        self.state.step = "handoff"
        # An emergency goes to the front of the queue however the user asked.
        self.escalation = Escalation(reason, urgent=reason == "emergency")

    def _back_to_bot(self) -> None:
        if self.state.handoff:
            self.leave = True
            self.state.step = "menu"
        else:
            self._menu()

    def _offer_start(self) -> None:
        self.state.step = "offer:text"
        rows: list[tuple[Button, ...]] = []
        if self.offers is not None:
            rows.append((Button("offerq", self.tr._("Answer questions instead")),))
        rows.append(menus.back_row(self.tr))
        self.say(self.tr._("Paste the text of the job offer here, or describe it in your own "
                           "words: the country, the job, the pay, who offered it and what they "
                           "ask from you. No text at hand? Answer a few questions instead."),
                 tuple(rows))

    def _offer_text(self, text: str) -> None:
        if self.offers is None:
            self.state.step = "menu"
            self.say(self.content.fill(self.tr._(
                "I cannot check offers automatically right now. Call the hotline {hotline} "
                "(free): counsellors check offers with you."), self.tr.language),
                menus.main_menu(self.tr))
            return
        report = check_offer(text, language=self.tr.language, reported=self.offers.reported,
                             key=self.offers.key, data=self.offers.data)
        self.checks.append(CheckedOffer("text", report, text))
        self._offer_report(report, self.offers)

    def _offer_report(self, report: OfferReport, offers: OfferTools) -> None:
        self.state.step = "offer:report"
        self.state.context["risk"] = report.risk
        body = render_report(report, self.tr.language, data=offers.data)
        rows: list[tuple[Button, ...]] = []
        if report.risk == "high":
            rows.append((Button("human:high_risk_offer", self.tr._("Talk to a person now")),))
        rows.append((Button("offer", self.tr._("Check another offer")),))
        rows.append(menus.back_row(self.tr))
        self.say(self.content.fill(body, self.tr.language), tuple(rows))

    def _questionnaire(self, arg: str, offers: OfferTools) -> None:
        questions = offers.data.questions
        answers: dict[str, str] = dict(self.state.context.get("offer_answers") or {})
        if not arg:
            answers = {}
        else:
            qid, _, aid = arg.partition(":")
            question = next((q for q in questions if q.id == qid), None)
            if question is not None and question.answer(aid) is not None:
                answers[qid] = aid
        remaining = [q for q in questions if q.id not in answers]
        if not remaining:
            self.state.context.pop("offer_answers", None)
            report = questionnaire_report(answers, language=self.tr.language, data=offers.data)
            self.checks.append(CheckedOffer("questionnaire", report, None))
            self._offer_report(report, offers)
            return
        self.state.context["offer_answers"] = answers
        self.state.step = "offer:questions"
        question = remaining[0]
        lang = self.tr.language
        number = len(questions) - len(remaining) + 1
        rows = tuple((Button(f"offerq:{question.id}:{a.id}", a.label.get(lang) or a.label["en"]),)
                     for a in question.answers)
        heading = self.tr._("Question {number} of {total}", number=number, total=len(questions))
        self.say(f"{heading}\n\n{question.text.get(lang) or question.text['en']}",
                 (*rows, menus.back_row(self.tr)))

    def _forget_confirm(self) -> None:
        self.state.step = "forget"
        self.say(self.tr._("This erases our whole conversation from the bot's memory. "
                           "It cannot be undone. Erase it?"),
                 ((Button("forget:yes", self.tr._("Yes, erase")),
                   Button("forget:no", self.tr._("No, keep it"))),))

    def _forget(self, confirmed: bool) -> None:
        if self.state.step != "forget":
            self._menu()
            return
        if not confirmed:
            self.say(self.tr._("Nothing was erased."))
            self._menu()
            return
        lang = self.tr.language
        self.state.erase = True
        self.state.language = None
        self.state.campaign = None
        self.state.context = {}
        self.state.step = "start"
        self.replies.append(Outgoing(
            text=self.catalogs.get(lang)._("Done: our conversation is erased. Write /start "
                                           "whenever you want to begin again."),
            language=lang,
        ))

    def _attachment(self, kind: Kind) -> None:
        texts = {
            Kind.STICKER: self.tr._("I can read only text. Please write in words, or use the "
                                    "buttons."),
            Kind.VOICE: self.tr._("I cannot listen to voice or video messages. Please write "
                                  "your question in words."),
            Kind.PHOTO: self.tr._("I cannot look at pictures or files. If it is a job offer, "
                                  "copy its text here."),
            Kind.LOCATION: self.tr._("I do not need your location and I did not keep it. "
                                     "Share it only if a counsellor asks you to."),
            Kind.CONTACT: self.tr._("I did not keep the phone number you shared. Please do not "
                                    "send personal numbers here unless a counsellor asks."),
        }
        texts[Kind.VIDEO] = texts[Kind.VOICE]
        texts[Kind.DOCUMENT] = texts[Kind.PHOTO]
        default = self.tr._("I can read only text messages. Please write in words.")
        self.say(texts.get(kind, default), self._menu_or_languages())

    # --- free text -------------------------------------------------------------------------

    def _free_text(self, text: str, incoming: Incoming) -> None:
        parse = self.parse
        if parse is not None and parse.intent == "emergency":
            if self.state.step == "offer:text" and self.state.language is not None:
                self._offer_text(text)  # the offer is still checked; the numbers follow
            if self.state.language is None:
                self.state.language = parse.language if parse.language in LANGUAGES else (
                    negotiate([incoming.locale_hint]) or DEFAULT_LANGUAGE)
            self._emergency(next(iter(parse.countries()), None))
            return
        if self.state.handoff and not self.state.step.startswith("offer:"):
            # With the hotline: the operator answers, the bot keeps quiet.
            self.state.step = "handoff"
            self.relayed = True
            return
        if self.state.language is None:
            if parse is not None and parse.language in LANGUAGES and (
                    parse.language_confidence >= SWITCH_CONFIDENCE):
                self.state.language = parse.language
            else:
                self._start(incoming)
                return
        if self.state.step == "offer:text" or self._pasted_offer(text):
            self._offer_text(text)
            return
        if parse is None:
            self.say(self.tr._("I cannot understand free text yet. Please use the buttons."),
                     menus.main_menu(self.tr))
            return
        self._understood(parse)

    def _pasted_offer(self, text: str) -> bool:
        """A long text that looks like a job ad is checked without being asked."""
        return (self.offers is not None and len(text) >= OFFER_LIKE_MIN
                and looks_like_offer(text, data=self.offers.data))

    def _understood(self, parse: Parse) -> None:
        countries = parse.countries()
        if countries:
            self.state.context["country"] = countries[0]
        self._offer_switch(parse)
        intent = parse.intent
        if intent in TOPIC_INTENTS and self.content.topic(intent):
            self.state.context["misses"] = 0
            self._topic(intent)
        elif intent == "nlu_fallback" or (intent == "out_of_scope"
                                          and parse.confidence < OUT_OF_SCOPE_SURE):
            # An unsure "out of scope" is as good as not understood: offer the likely topics.
            self._not_understood(parse)
        else:
            self.state.context["misses"] = 0
            self._control(intent)

    def _control(self, intent: str) -> None:
        if intent in ("greet", "bot_help"):
            self._help() if intent == "bot_help" else self._menu()
        elif intent == "goodbye":
            self.say(self.tr._("Take care! Write any time. The hotline: {number}.",
                               number=self.content.fill("{hotline}", self.tr.language)))
        elif intent == "thanks":
            self.say(self.tr._("You are welcome. Is there anything else?"),
                     menus.main_menu(self.tr))
        elif intent == "change_language":
            self._choose_language()
        elif intent == "talk_to_human":
            self._human("asked")
        elif intent == "delete_my_data":
            self._forget_confirm()
        elif intent == "check_offer":
            self._offer_start()
        elif intent == "out_of_scope":
            self.say(self.tr._("I can help only with working abroad safely, job offers and "
                               "help lines."), menus.main_menu(self.tr))
        else:  # affirm, deny and anything without its own answer
            self._menu()

    def _not_understood(self, parse: Parse) -> None:
        misses = int(self.state.context.get("misses", 0)) + 1
        self.state.context["misses"] = misses
        guesses = [i for i, _ in parse.ranking if i in TOPIC_INTENTS and self.content.topic(i)][:3]
        rows: list[tuple[Button, ...]] = [
            (Button(f"did:{g}", self.content.topics[g].text(self.tr.language).title),)
            for g in guesses if g in self.content.topics
        ]
        if misses >= MISSES_BEFORE_HUMAN:
            rows.append((Button("human:misunderstanding", self.tr._("Talk to a person")),))
            text = self.tr._("Sorry, I still do not understand. Did you mean one of these, or "
                             "would you like to talk to a person?")
        else:
            text = self.tr._("Sorry, I am not sure I understood. Did you mean one of these?")
        rows.append(menus.back_row(self.tr))
        self.say(text, tuple(rows))

    def _offer_switch(self, parse: Parse) -> None:
        current = self.state.language
        if (parse.language in LANGUAGES and current and parse.language != current
                and parse.language_confidence >= SWITCH_CONFIDENCE):
            other = self.catalogs.get(parse.language)
            self.say(other._("Would you like to continue in {language}?",
                             language=LANGUAGE_NAMES[parse.language]),
                     ((Button(f"switch:{parse.language}", LANGUAGE_NAMES[parse.language]),),))


def country_name(code: str, lang: str) -> str:
    """A country's name in a language (Romani uses the Romanian names)."""
    locale = Locale.parse({"rom": "ro", "en": "en"}.get(lang, lang))
    return str(locale.territories.get(code, code))
