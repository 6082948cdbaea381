"""Quality floors on the real data: a regression here means the NLU got worse.

The floors sit a little under what the model measures (nlu/README.md) so
that ordinary data edits do not break the build, but a real drop does.
"""

from __future__ import annotations

import pytest

from nlu.embedded import EmbeddedNLU
from nlu.evaluate import Report, held_out_report, unseen_report

from .conftest import REAL_DATA, UNSEEN, real_data_present

pytestmark = pytest.mark.skipif(
    not real_data_present(), reason="real training data not complete yet"
)


@pytest.fixture(scope="module")
def held_out() -> Report:
    return held_out_report(REAL_DATA)


@pytest.fixture(scope="module")
def unseen(real_nlu: EmbeddedNLU) -> Report:
    if not UNSEEN.is_file():
        pytest.skip("tests/nlu/unseen.yml not written yet")
    return unseen_report(real_nlu, UNSEEN)


def test_held_out_intent_accuracy(held_out: Report) -> None:
    assert held_out.intent_accuracy >= 0.80
    assert all(row["intent_accuracy"] >= 0.75 for row in held_out.per_language.values())


def test_held_out_emergencies_are_caught(held_out: Report) -> None:
    assert held_out.emergency_recall >= 0.95
    assert held_out.emergency_false_alarms <= 0.02 * held_out.non_emergency_cases


def test_held_out_countries(held_out: Report) -> None:
    assert held_out.country_accuracy >= 0.97


def test_unseen_messages(unseen: Report) -> None:
    assert unseen.intent_accuracy >= 0.90
    assert all(row["intent_accuracy"] >= 0.85 for row in unseen.per_language.values())
    assert unseen.language_accuracy >= 0.97
    assert unseen.country_accuracy >= 0.97


def test_unseen_emergencies(unseen: Report) -> None:
    assert unseen.emergency_recall >= 0.95
    assert unseen.safety_net_false_alarms <= 0.02 * unseen.non_emergency_cases
