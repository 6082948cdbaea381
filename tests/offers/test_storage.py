"""The stored form of a report keeps findings and domains, never numbers, addresses or names."""

from __future__ import annotations

import json

from bot.offers import check_offer
from bot.offers.serialize import report_for_storage

TEXT = (
    "Salut, sunt Victor Popescu, lucrez in Italia. Patronul meu cauta baieti, veniti ca turisti. "
    "Suna-ma la 069 123 456 sau +39 320 610 8989, scrie la victor.popescu77@gmail.com "
    "sau pe Telegram @victor_it, grupul t.me/lucru_it_md"
)


def test_storage_form_has_no_phone_email_handle_or_name() -> None:
    stored = json.dumps(report_for_storage(check_offer(TEXT)), ensure_ascii=False)
    for secret in (
        "069",
        "123 456",
        "320",
        "8989",
        "victor.popescu77",
        "@victor_it",
        "lucru_it_md",
        "Popescu",
        "Victor",
    ):
        assert secret not in stored, secret
    data = json.loads(stored)
    assert {"country": "MD", "kind": "mobile"} in data["phones"]
    assert data["emails_domains"] == ["gmail.com"]
    assert "t.me" in data["links_domains"]
    assert {f["id"] for f in data["flags"]} >= {"tourist_visa_work", "anonymous_recruiter"}


def test_storage_form_keeps_the_contract_fields() -> None:
    data = report_for_storage(check_offer(TEXT))
    assert {"risk", "score", "flags", "protective", "language"} <= set(data)
