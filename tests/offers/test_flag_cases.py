"""One flag at a time: phrasing variants and look-alikes in every language (cases_flags.py)."""

from __future__ import annotations

import pytest

from bot.offers import check_offer
from tests.offers.cases_flags import CASES


@pytest.mark.parametrize(("label", "text", "flag", "present"), CASES, ids=[c[0] for c in CASES])
def test_flag_case(label: str, text: str, flag: str, present: bool) -> None:
    report = check_offer(text)
    found = flag in report.flag_ids or flag in report.protective_ids
    assert found is present, f"{label}: flags={report.flag_ids} protective={report.protective_ids}"
