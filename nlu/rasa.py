"""The Rasa backend: ask a Rasa server for intent and entities, fall back to embedded.

Language id and the safety net always run locally, so an emergency is caught
even when Rasa is down, slow or wrong. Rasa's HTTP API:
https://rasa.com/docs/rasa/pages/http-api#operation/parseModelMessage
"""

from __future__ import annotations

import logging
import math
from typing import Any

import httpx
from prometheus_client import Counter

from nlu.embedded import MAX_CLASSIFY, EmbeddedNLU
from nlu.entities import COUNTRY, NOT_DESTINATIONS
from nlu.textnorm import clean
from nlu.types import FALLBACK_INTENT, RASA, Entity, Parse

__all__ = ["FALLBACKS", "TIMEOUT_SECONDS", "RasaError", "RasaNLU"]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.5  # a chat reply must not wait on a stuck server
FALLBACKS = Counter(
    "safemig_nlu_rasa_fallbacks",
    "Parses answered by the embedded model because Rasa failed",
    ["reason"],
)


class RasaError(Exception):
    """Rasa answered, but not with something we can use."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RasaNLU:
    """Parses with a Rasa server; the embedded model answers whenever Rasa cannot."""

    backend = RASA

    def __init__(
        self,
        url: str,
        embedded: EmbeddedNLU,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.embedded = embedded
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()

    async def parse(self, text: str, *, lang_hint: str | None = None) -> Parse:
        """Parse with Rasa; on any failure count it and answer with the embedded model."""
        text = clean(text) if isinstance(text, str) else ""
        local = self.embedded.parse_sync(text, lang_hint=lang_hint)
        if not local.ranking:
            return local  # nothing to classify (empty, emoji): no need to ask Rasa
        try:
            body = await self._post(text[:MAX_CLASSIFY])
            ranking, entities = self._read(body, text)
        except RasaError as exc:
            FALLBACKS.labels(reason=exc.reason).inc()
            log.warning("rasa parse failed (%s); embedded model answered", exc.reason)
            return local
        return self.embedded.decide(
            text,
            ranking,
            local.language,
            local.language_confidence,
            _merge(entities, local.entities),
            local.safety_rule,
            RASA,
        )

    async def _post(self, text: str) -> Any:
        try:
            response = await self._client.post(self.url, json={"text": text}, timeout=self._timeout)
        except httpx.TimeoutException as exc:
            raise RasaError("timeout") from exc
        except httpx.HTTPError as exc:
            raise RasaError("connection") from exc
        if response.status_code != httpx.codes.OK:
            raise RasaError("status")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaError("garbage") from exc

    def _read(
        self, body: Any, text: str
    ) -> tuple[tuple[tuple[str, float], ...], tuple[Entity, ...]]:
        if not isinstance(body, dict) or not isinstance(body.get("intent"), dict):
            raise RasaError("garbage")
        ranking = _ranking(body)
        if not ranking:
            raise RasaError("garbage")
        if ranking[0][0] == FALLBACK_INTENT and len(ranking) > 1:
            # Rasa's FallbackClassifier puts nlu_fallback first; the decision
            # is ours (same threshold as embedded), the ranking is what we keep.
            ranking = ranking[1:]
        return ranking, self._entities(body.get("entities"), text)

    def _entities(self, raw: Any, text: str) -> tuple[Entity, ...]:
        found: list[Entity] = []
        for item in raw if isinstance(raw, list) else ():
            if not isinstance(item, dict):
                continue
            kind = item.get("entity")
            if isinstance(kind, str) and len(kind) == 2 and kind.isupper():
                # Trained on "[rusia](RU)": Rasa calls the entity type RU.
                item = {**item, "entity": COUNTRY, "value": kind}
            elif kind != COUNTRY:
                continue
            start, end = item.get("start"), item.get("end")
            if not (
                isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
            ):
                continue
            surface = text[start:end]
            value = str(item.get("value", ""))
            if not (len(value) == 2 and value.isupper()):
                # Rasa kept the raw spelling (no synonym matched): resolve it ourselves.
                value = self.embedded.gazetteer.code_for(surface) or ""
            if value and value not in NOT_DESTINATIONS:
                found.append(Entity(COUNTRY, value, start, end, surface))
        return tuple(found)


def _ranking(body: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    rows = body.get("intent_ranking")
    if not isinstance(rows, list) or not rows:
        rows = [body["intent"]]
    out: list[tuple[str, float]] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        name, conf = row.get("name"), row.get("confidence")
        if (
            isinstance(name, str)
            and name
            and isinstance(conf, int | float)
            and not isinstance(conf, bool)
            and math.isfinite(conf)
        ):
            out.append((name, min(max(float(conf), 0.0), 1.0)))
    out.sort(key=lambda r: -r[1])
    return tuple(out)


def _merge(remote: tuple[Entity, ...], local: tuple[Entity, ...]) -> tuple[Entity, ...]:
    # Rasa's entities first; our gazetteer adds the countries Rasa missed.
    merged = list(remote)
    for ent in local:
        if all(ent.end <= r.start or ent.start >= r.end for r in remote):
            merged.append(ent)
    return tuple(sorted(merged, key=lambda e: e.start))
