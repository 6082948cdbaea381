"""The Rasa backend against test doubles that answer with real Rasa-shaped JSON."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from nlu import build_nlu
from nlu.embedded import EmbeddedNLU
from nlu.rasa import RasaNLU

from .conftest import FIXTURE_DATA

TEXT = "Мне предложили работу в Германии, проверьте"
START = TEXT.index("Германии")


def rasa_body(
    intent: str = "check_offer",
    confidence: float = 0.93,
    entities: list[dict[str, object]] | None = None,
    text: str = TEXT,
) -> dict[str, object]:
    """What Rasa 3.6's POST /model/parse returns (abridged only in response_selector)."""
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "verify_agency", "confidence": round((1 - confidence) * 0.6, 4)},
        {"name": "job_offer_red_flags", "confidence": round((1 - confidence) * 0.4, 4)},
    ]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities
        if entities is not None
        else [
            {
                "entity": "country",
                "start": START,
                "end": START + len("Германии"),
                "confidence_entity": 0.998,
                "value": "DE",
                "extractor": "DIETClassifier",
                "processors": ["EntitySynonymMapper"],
            }
        ],
        "text_tokens": [[0, 3], [4, 14]],
        "intent_ranking": ranking,
        "response_selector": {"all_retrieval_intents": [], "default": {}},
    }


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("safemig_nlu_rasa_fallbacks_total", {"reason": reason}) or 0.0


def rasa_with(
    fixture_nlu: EmbeddedNLU, handler: Callable[[httpx.Request], httpx.Response]
) -> RasaNLU:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RasaNLU("http://rasa.test", fixture_nlu, client=client)


async def test_maps_a_rasa_answer(fixture_nlu: EmbeddedNLU) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=rasa_body())

    p = await rasa_with(fixture_nlu, handler).parse(TEXT, lang_hint="ru")
    assert (p.backend, p.intent, p.confidence) == ("rasa", "check_offer", 0.93)
    assert p.ranking[0] == ("check_offer", 0.93) and len(p.ranking) == 3
    assert [(e.value, e.text) for e in p.entities] == [("DE", "Германии")]
    assert p.language == "ru"  # language id ran locally
    assert seen[0].url.path == "/model/parse"
    assert json.loads(seen[0].content) == {"text": TEXT}


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        ({"entity": "country", "value": "Германии"}, ["DE"]),  # no synonym matched in Rasa
        ({"entity": "DE", "value": "Германии"}, ["DE"]),  # trained on "[..](DE)"
        ({"entity": "country", "value": "MD"}, ["DE"]),  # never a destination; ours fills in
        ({"entity": "city", "value": "Berlin"}, ["DE"]),  # other entities ignored; ours fills in
    ],
)
async def test_entity_values_are_normalised(
    fixture_nlu: EmbeddedNLU, entity: dict[str, str], expected: list[str]
) -> None:
    ent = {**entity, "start": START, "end": START + len("Германии")}
    body = rasa_body(entities=[ent])
    p = await rasa_with(fixture_nlu, lambda r: httpx.Response(200, json=body)).parse(TEXT)
    assert list(p.countries()) == expected


async def test_rasa_fallback_intent_is_replaced_by_our_threshold(fixture_nlu: EmbeddedNLU) -> None:
    body = rasa_body()
    body["intent"] = {"name": "nlu_fallback", "confidence": 0.7}
    body["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.7},
        {"name": "greet", "confidence": 0.2},
    ]
    p = await rasa_with(fixture_nlu, lambda r: httpx.Response(200, json=body)).parse("salut")
    assert p.intent == "nlu_fallback"  # greet at 0.2 is under the threshold
    assert p.ranking == (("greet", 0.2),)


async def test_safety_net_runs_locally_whatever_rasa_says(fixture_nlu: EmbeddedNLU) -> None:
    text = "they took my passport and locked me in"
    body = rasa_body(intent="greet", confidence=0.99, entities=[], text=text)
    p = await rasa_with(fixture_nlu, lambda r: httpx.Response(200, json=body)).parse(text)
    assert (p.intent, p.backend) == ("emergency", "rasa")
    assert p.safety_rule is not None


FAILURES: list[tuple[str, Callable[[httpx.Request], httpx.Response]]] = [
    ("garbage", lambda r: httpx.Response(200, content=b"<html>oops</html>")),
    ("garbage", lambda r: httpx.Response(200, json=["not", "a", "parse"])),
    ("garbage", lambda r: httpx.Response(200, json={"intent": {"name": None}})),
    (
        "garbage",
        lambda r: httpx.Response(200, json={"intent": {"name": "greet", "confidence": "high"}}),
    ),
    ("status", lambda r: httpx.Response(500, json={"error": "boom"})),
    ("status", lambda r: httpx.Response(404)),
]


@pytest.mark.parametrize(("reason", "handler"), FAILURES)
async def test_failures_fall_back_to_embedded_and_are_counted(
    fixture_nlu: EmbeddedNLU, reason: str, handler: Callable[[httpx.Request], httpx.Response]
) -> None:
    before = fallbacks(reason)
    p = await rasa_with(fixture_nlu, handler).parse(TEXT)
    assert p.backend == "embedded"
    assert p.intent == fixture_nlu.parse_sync(TEXT).intent
    assert fallbacks(reason) == before + 1


@pytest.mark.parametrize(
    ("reason", "exc"),
    [("timeout", httpx.ReadTimeout("slow")), ("connection", httpx.ConnectError("refused"))],
)
async def test_transport_errors_fall_back(
    fixture_nlu: EmbeddedNLU, reason: str, exc: Exception
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    before = fallbacks(reason)
    p = await rasa_with(fixture_nlu, handler).parse(TEXT)
    assert p.backend == "embedded"
    assert fallbacks(reason) == before + 1


async def test_empty_message_does_not_call_rasa(fixture_nlu: EmbeddedNLU) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("Rasa must not be asked about an empty message")

    p = await rasa_with(fixture_nlu, handler).parse("🙂", lang_hint="ro")
    assert (p.intent, p.language) == ("nlu_fallback", "ro")


# A tiny real HTTP server on 127.0.0.1 standing in for Rasa.


@pytest.fixture
async def fake_rasa() -> AsyncIterator[str]:
    stop = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        text = json.loads(await reader.readexactly(length))["text"]
        if "hang" in text:
            await stop.wait()  # until the test is over
            return
        payload = json.dumps(rasa_body(text=text, entities=[])).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload) + payload)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_real_http_round_trip(fixture_nlu: EmbeddedNLU, fake_rasa: str) -> None:
    rasa = RasaNLU(fake_rasa, fixture_nlu)
    try:
        p = await rasa.parse("salut, am o oferta")
    finally:
        await rasa.aclose()
    assert (p.backend, p.intent) == ("rasa", "check_offer")


async def test_a_hanging_server_times_out_quickly(fixture_nlu: EmbeddedNLU, fake_rasa: str) -> None:
    rasa = RasaNLU(fake_rasa, fixture_nlu, timeout=0.3)
    before = fallbacks("timeout")
    started = time.perf_counter()
    try:
        p = await rasa.parse("please hang forever")
    finally:
        await rasa.aclose()
    assert time.perf_counter() - started < 2.0
    assert p.backend == "embedded"
    assert fallbacks("timeout") == before + 1


def test_build_nlu_rasa_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="RASA_URL"):
        build_nlu("rasa", data_dir=FIXTURE_DATA, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown"):
        build_nlu("spacy", data_dir=FIXTURE_DATA, cache_dir=tmp_path)


@pytest.mark.skipif(
    not os.environ.get("RASA_URL"), reason="RASA_URL not set: no Rasa server to talk to"
)
async def test_integration_with_a_real_rasa_server(tmp_path: Path) -> None:
    from .conftest import REAL_DATA, real_data_present

    data_dir = REAL_DATA if real_data_present() else FIXTURE_DATA
    nlu = build_nlu("rasa", data_dir=data_dir, cache_dir=tmp_path, rasa_url=os.environ["RASA_URL"])
    assert isinstance(nlu, RasaNLU)
    try:
        p = await nlu.parse("Buna ziua")
        assert p.backend == "rasa", "Rasa did not answer; the embedded fallback did"
        assert p.intent == "greet"
    finally:
        await nlu.aclose()
