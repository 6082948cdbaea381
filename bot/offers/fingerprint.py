"""Fingerprints of offers an operator confirmed as scams, and matching new offers against them.

A fingerprint holds keyed hashes only (HMAC-SHA256 of E.164 numbers, e-mails and
URLs; keyed BLAKE2b of word 3-shingles), so storing it does not store the
numbers or the text. Link domains of ordinary websites are kept in clear: a
scam site's domain is what operators need to recognise.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.offers.contacts import Contacts, registrable_domain
from bot.offers.text import Prepared

__all__ = ["SKETCH_SIZE", "ReportedOffer", "fingerprint_prepared", "jaccard", "match_reported"]

SKETCH_SIZE = 256  # bottom-k sketch: exact Jaccard for texts of up to 256 shingles
NEAR_DUPLICATE = 0.8  # Jaccard on word 3-shingles
MIN_SHINGLES = 8  # shorter texts are too generic to call copies of each other
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ReportedOffer:
    """What is kept of an offer confirmed as a scam: hashes, site domains and a text sketch."""

    id: str
    phone_hashes: frozenset[str]
    email_hashes: frozenset[str]
    link_hashes: frozenset[str]
    domains: frozenset[str]  # registrable domains of non-social, non-webmail links
    shingles: tuple[int, ...]  # the SKETCH_SIZE smallest keyed shingle hashes, ascending

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for storage."""
        return {
            "id": self.id,
            "phone_hashes": sorted(self.phone_hashes),
            "email_hashes": sorted(self.email_hashes),
            "link_hashes": sorted(self.link_hashes),
            "domains": sorted(self.domains),
            "shingles": list(self.shingles),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportedOffer:
        """The inverse of ``to_dict``."""
        return cls(
            id=str(data["id"]),
            phone_hashes=frozenset(map(str, data.get("phone_hashes", ()))),
            email_hashes=frozenset(map(str, data.get("email_hashes", ()))),
            link_hashes=frozenset(map(str, data.get("link_hashes", ()))),
            domains=frozenset(map(str, data.get("domains", ()))),
            shingles=tuple(sorted(int(x) for x in data.get("shingles", ()))),
        )


def _mac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _sketch(folded: str, key: bytes) -> tuple[int, ...]:
    words = _WORD.findall(folded)
    shingles = {" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 0))}
    if len(shingles) < MIN_SHINGLES:
        return ()
    shingle_key = hashlib.sha256(b"offer-shingles:" + key).digest()
    hashes = {
        int.from_bytes(
            hashlib.blake2b(s.encode("utf-8"), key=shingle_key, digest_size=8).digest(), "big"
        )
        for s in shingles
    }
    return tuple(sorted(hashes)[:SKETCH_SIZE])


def _wording(prepared: Prepared, contacts: Contacts) -> str:
    """The folded text without its contacts: a copied scam often changes only the number."""
    text = prepared.folded
    for c in sorted(contacts.all, key=lambda c: c.evidence.start, reverse=True):
        start, end = prepared.to_folded(c.evidence.start), prepared.to_folded(c.evidence.end)
        text = text[:start] + " " + text[end:]
    return text


def fingerprint_prepared(
    prepared: Prepared, contacts: Contacts, key: bytes, offer_id: str, webmail: frozenset[str]
) -> ReportedOffer:
    """The fingerprint of an already prepared offer (the checker's own parse of it)."""
    if not key:
        raise ValueError("a fingerprint needs a non-empty key")
    domains = frozenset(
        registrable_domain(c.value.split("/", 1)[0]) for c in contacts.links if c.subtype == "site"
    ) | frozenset(
        registrable_domain(c.value.rsplit("@", 1)[1])
        for c in contacts.emails
        if c.subtype == "company" and c.value.rsplit("@", 1)[1] not in webmail
    )
    return ReportedOffer(
        id=offer_id,
        phone_hashes=frozenset(_mac(key, "tel:" + c.value) for c in contacts.phones),
        email_hashes=frozenset(_mac(key, "mailto:" + c.value) for c in contacts.emails),
        link_hashes=frozenset(
            _mac(key, "url:" + c.value) for c in (*contacts.links, *contacts.handles)
        ),
        domains=domains,
        shingles=_sketch(_wording(prepared, contacts), key),
    )


def jaccard(a: Sequence[int], b: Sequence[int], k: int = SKETCH_SIZE) -> float:
    """Bottom-k estimate of the Jaccard similarity of two shingle sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    union = sorted(sa | sb)[:k]
    return sum(1 for h in union if h in sa and h in sb) / len(union)


def match_reported(
    offer: ReportedOffer, reported: Sequence[ReportedOffer], threshold: float = NEAR_DUPLICATE
) -> tuple[str, ...]:
    """Ids of reported offers sharing a number, e-mail, link, site domain or nearly all the text."""
    hits: list[str] = []
    for r in reported:
        if (
            offer.phone_hashes & r.phone_hashes
            or offer.email_hashes & r.email_hashes
            or offer.link_hashes & r.link_hashes
            or offer.domains & r.domains
            or jaccard(offer.shingles, r.shingles) >= threshold
        ):
            hits.append(r.id)
    return tuple(dict.fromkeys(hits))
