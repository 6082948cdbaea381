"""Check a job offer: a pure function from text to a report that explains itself."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.offers.ages import find_ages, minors_evidence
from bot.offers.contacts import Contacts, find_contacts
from bot.offers.data import OfferData, default_data
from bot.offers.fingerprint import ReportedOffer, fingerprint_prepared, match_reported
from bot.offers.language import UNDETERMINED, detect_language
from bot.offers.matcher import Hit, active_contexts, match_rules
from bot.offers.pay import assess_pay, find_pay, pick_wage
from bot.offers.scoring import MEDIUM, build_findings, risk_for, score
from bot.offers.text import Prepared, prepare
from bot.offers.types import Evidence, Finding, OfferReport, Pay, Phone

__all__ = ["check_offer", "fingerprint", "looks_like_offer"]

LANGUAGES = ("ro", "ru", "uk", "en", "rom")
# Findings that vouch for who is behind an offer: with one of them, a mobile
# number or a chat account is just how that company is reached.
_IDENTIFIED = {"named_employer", "licensed_agency_cited", "official_channel"}
_LURES = {"no_requirements", "sexual_exploitation_risk", "photo_request", "cyber_scam_compound"}
_MIN_OFFER_CHARS = 50
_SOFT_PAY_WEIGHT = 25  # pay compared with an unverified reference is a soft signal
_CONFIRMED_LICENCE_WEIGHT = 25


def _country_entities(prepared: Prepared) -> list[tuple[str, int, int]]:
    """Destination countries (ISO code, start, end) from the NLU's gazetteer."""
    # imported late: the nlu package loads its data on first use
    from nlu import extract_countries

    return [(e.value, e.start, e.end) for e in extract_countries(prepared.clean)]


def _countries(prepared: Prepared) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for code, _, _ in _country_entities(prepared)))


def _offer_words(prepared: Prepared, data: OfferData) -> int:
    return sum(len(rx.findall(prepared.folded)) for rx in data.offer_words)


def _looks_like(
    prepared: Prepared, data: OfferData, *, pay: bool, contacts: Contacts, countries: Sequence[str]
) -> bool:
    if len(prepared.folded) < _MIN_OFFER_CHARS:
        return False
    words = _offer_words(prepared, data)
    signals = sum((pay, bool(contacts.all), bool(countries), len(prepared.folded) >= 150))
    return words >= 1 and (signals >= 2 or (words >= 3 and signals >= 1))


def looks_like_offer(text: str, *, data: OfferData | None = None) -> bool:
    """True when ``text`` reads like a pasted or forwarded job ad (job words, pay, contact...)."""
    data = data or default_data()
    prepared = prepare(text)
    contacts = find_contacts(
        prepared, data.catalogue.social_domains, data.catalogue.webmail_domains
    )
    pay = bool(find_pay(prepared, data.wages))
    return _looks_like(prepared, data, pay=pay, contacts=contacts, countries=_countries(prepared))


def _transit_hits(
    prepared: Prepared, data: OfferData, entities: list[tuple[str, int, int]]
) -> list[Hit]:
    hits: list[Hit] = []
    for code, start, end in entities:
        if code == "MD":
            continue
        f_start = prepared.to_folded(start)
        before = prepared.folded[max(0, f_start - 25) : f_start]
        for cue in data.transit_cues:
            m = cue.search(before)
            if m:
                f_cue = f_start - len(before) + m.start()
                ev = prepared.evidence(f_cue, prepared.to_folded(end))
                hits.append(Hit("third_country_transit", 0, False, ev))
                break
    return hits


def _contact_hits(contacts: Contacts, hits: list[Hit]) -> list[Hit]:
    """Hits after weighing contacts: anonymous_recruiter and social_media_only come from here.

    "Write to us on Viber" is social-media-only contact only when the offer gives
    no phone, e-mail or website; it is anonymous when nobody is identified.
    """
    found = {h.rule for h in hits}
    messenger = [h for h in hits if h.rule == "social_media_only"]
    others = [h for h in hits if h.rule != "social_media_only"]
    social_only = (
        not contacts.phones
        and not contacts.emails
        and not any(c.subtype == "site" for c in contacts.links)
    )
    if found & _IDENTIFIED:
        return others
    out = list(others)
    personal = [c for c in contacts.all if c.personal]
    company = [c for c in contacts.all if not c.personal]
    if (personal or messenger) and not company:
        out += [
            Hit("anonymous_recruiter", 0, False, ev)
            for ev in [c.evidence for c in personal] + [h.evidence for h in messenger]
        ]
    if social_only:
        out += messenger
        out += [
            Hit("social_media_only", 0, False, c.evidence)
            for c in (*contacts.links, *contacts.handles)
        ]
    return out


def _pay_hits(pay: Pay | None, flag_ids: set[str], data: OfferData) -> list[Hit]:
    if pay is None or pay.ratio is None:
        return []
    wages = data.wages
    ref = wages.countries.get(pay.reference_country or "", wages.default)
    if pay.ratio >= wages.far_above or (pay.ratio >= wages.above_with_lure and flag_ids & _LURES):
        weight = (
            data.catalogue.by_id["unrealistic_pay"].weight if ref.verified else _SOFT_PAY_WEIGHT
        )
        return [Hit("unrealistic_pay", weight, False, pay.evidence)]
    return []


def _registry_checks(
    hits: list[Hit], data: OfferData, countries: Sequence[str], today: date
) -> tuple[list[Hit], list[Finding]]:
    """Check cited licences against the registry: confirmed, expired, not covering, unknown."""
    cited = [h for h in hits if h.rule == "licensed_agency_cited"]
    if not cited:
        return hits, []
    destination = next((c for c in countries if c != "MD"), None)
    notes: list[Finding] = []
    kept = [h for h in hits if h.rule != "licensed_agency_cited"]
    for h in cited:
        conf = data.registry.confirm(licence=h.groups.get("licence"), country=destination, on=today)
        if conf.status == "confirmed" and conf.agency is not None:
            kept.append(Hit(h.rule, _CONFIRMED_LICENCE_WEIGHT, True, h.evidence))
            kept.append(
                Hit(
                    h.rule,
                    _CONFIRMED_LICENCE_WEIGHT,
                    True,
                    Evidence(conf.agency.name, -1, -1, "registry"),
                )
            )
            notes.append(Finding("agency_confirmed", 0, (h.evidence,)))
        elif conf.status in {"expired", "country_not_covered"}:
            # a licence that does not cover this offer reassures nobody
            notes.append(
                Finding(
                    f"agency_{'licence_expired' if conf.status == 'expired' else conf.status}",
                    0,
                    (h.evidence,),
                )
            )
        else:
            kept.append(h)
            notes.append(Finding("agency_not_confirmed", 0, (h.evidence,)))
    return kept, notes


def _merge_notes(notes: list[Finding]) -> tuple[Finding, ...]:
    """One note per id, with the evidence of all of them."""
    merged: dict[str, list[Evidence]] = {}
    for n in notes:
        merged.setdefault(n.id, []).extend(e for e in n.evidence if e not in merged.get(n.id, []))
    return tuple(Finding(nid, 0, tuple(ev)) for nid, ev in merged.items())


def _verify(flag_ids: set[str], pay: Pay | None) -> tuple[str, ...]:
    items = ["licence", "employer", "contract", "visa"]
    if pay is not None or "unrealistic_pay" in flag_ids:
        items.append("pay")
    if flag_ids & {"upfront_fee", "debt_bondage", "cash_or_delayed_pay"}:
        items.append("costs")
    return tuple(items)


def _phones(contacts: Contacts) -> tuple[Phone, ...]:
    return tuple(Phone(c.country, c.subtype) for c in contacts.phones)


def _domains(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def check_offer(
    text: str,
    *,
    language: str | None = None,
    reported: Sequence[ReportedOffer] = (),
    key: bytes | None = None,
    data: OfferData | None = None,
    today: date | None = None,
) -> OfferReport:
    """Check one offer; ``key`` (the fingerprint HMAC key) is needed when ``reported`` is given."""
    if reported and not key:
        raise ValueError("matching reported offers needs the fingerprint key")
    data = data or default_data()
    prepared = prepare(text if isinstance(text, str) else str(text))
    detected = detect_language(prepared.original, prepared.folded)
    lang = language if language in LANGUAGES else detected
    entities = _country_entities(prepared)
    countries = tuple(dict.fromkeys(code for code, _, _ in entities))
    catalogue = data.catalogue
    contacts = find_contacts(prepared, catalogue.social_domains, catalogue.webmail_domains)
    contexts = active_contexts(prepared, catalogue, countries)
    hits = match_rules(prepared, catalogue, {lang, detected} - {UNDETERMINED}, contexts)
    hits += [
        Hit("targets_minors", 0, True, ev) for ev in minors_evidence(prepared, find_ages(prepared))
    ]
    hits += _transit_hits(prepared, data, entities)
    mentions = find_pay(prepared, data.wages)
    pay = assess_pay(prepared, pick_wage(mentions), countries, data.wages)
    offer_like = _looks_like(
        prepared, data, pay=bool(mentions), contacts=contacts, countries=countries
    )
    if offer_like or hits or mentions or _offer_words(prepared, data):
        hits = _contact_hits(contacts, hits)
    else:
        hits = [h for h in hits if h.rule != "social_media_only"]
    hits += _pay_hits(pay, {h.rule for h in hits}, data)
    hits, notes = _registry_checks(hits, data, countries, today or date.today())
    reported_ids: tuple[str, ...] = ()
    if reported and key:
        fp = fingerprint_prepared(prepared, contacts, key, "", catalogue.webmail_domains)
        reported_ids = match_reported(fp, reported)
    flags, protective, critical = build_findings(hits, catalogue)
    value = score(flags, protective, critical=bool(critical), reported=bool(reported_ids))
    job_related = offer_like or (
        _offer_words(prepared, data) > 0
        and bool(
            mentions or contacts.all or (countries and len(prepared.folded) >= _MIN_OFFER_CHARS)
        )
    )
    if job_related and not protective:
        # nothing in the offer can be checked (no employer, licence, contract or
        # official channel): it cannot be called low risk
        value = max(value, MEDIUM)
        notes.append(Finding("nothing_verifiable", 0))
    if reported_ids:
        notes.append(
            Finding(
                "reported_before", 0, tuple(Evidence(i, -1, -1, "reported") for i in reported_ids)
            )
        )
    if prepared.truncated:
        notes.append(Finding("text_truncated", 0))
    if (
        detected == UNDETERMINED
        and language not in LANGUAGES
        and re.search(r"[^\W\d_]", prepared.folded)
    ):
        notes.append(Finding("unknown_language", 0))
    if not offer_like and not flags and not protective:
        notes.append(Finding("little_to_check", 0))
    return OfferReport(
        score=value,
        risk=risk_for(value),
        flags=flags,
        protective=protective,
        language=lang,
        pay=pay,
        countries=countries,
        phones=_phones(contacts),
        emails_domains=_domains([c.value.rsplit("@", 1)[1] for c in contacts.emails]),
        links_domains=_domains(
            [c.value.split("/", 1)[0] for c in contacts.links] + ["t.me" for _ in contacts.handles]
        ),
        reported_before=reported_ids,
        looks_like_offer=offer_like,
        notes=_merge_notes(notes),
        verify=_verify({f.id for f in flags}, pay),
        truncated=prepared.truncated,
    )


def fingerprint(
    text: str, *, key: bytes, offer_id: str = "", data: OfferData | None = None
) -> ReportedOffer:
    """The fingerprint an operator stores when confirming ``text`` as a scam (hashes only)."""
    data = data or default_data()
    prepared = prepare(text)
    contacts = find_contacts(
        prepared, data.catalogue.social_domains, data.catalogue.webmail_domains
    )
    return fingerprint_prepared(prepared, contacts, key, offer_id, data.catalogue.webmail_domains)
