"""Load on the real server: `python benchmarks/load.py [--users 50 --messages 10 --db sqlite]`.

Real-shaped Telegram updates (built from tests/fixtures/telegram/) are POSTed over
loopback HTTP to real `safemig serve` processes, round-robin as a load balancer would,
with the Telegram channel on and the fake Bot API of the tests
(tests/fakes/telegram_api.py, in this process) as the sink of the replies.

Each run: a fresh database (a SQLite file in a temporary directory, or a temporary
PostgreSQL database on 127.0.0.1:5432, dropped afterwards), `safemig db upgrade` once,
N `safemig serve` processes on free ports (the NLU trained once into a shared cache),
/healthz, a warm-up, then the timed run. Every simulated user has one conversation:
/start, a language button, a free-text question, the topics menu and a topic group,
another question, "check a job offer", a pasted risky job ad, the main menu, "thanks"
(more messages repeat from the question on). Users are closed loops: a user sends its
next message once every reply to the previous one has arrived (then waits --think
seconds); at most --concurrency webhook requests are in flight at once.

How many replies each step gets is learned in the warm-up (one user per language,
step by step, waiting for quiet), so replies are matched to updates by chat id and
order. Latency is from the start of the webhook POST to the fake Bot API receiving
the first sendMessage of that update (one clock: the fake runs in this process).
Errors: webhook answers other than 200 (and failed requests), replies missing after
the settle time, and replies beyond the expected count (duplicates). Memory: peak
resident set (VmHWM) of each server process. Prints a markdown table row.

The server paces sendMessage as Telegram asks (30 a second per process overall,
bursts of 3 then 1 a second per chat: bot/channels/telegram/channel.py and sender.py),
and those limits stay on. A user who wrote again the instant the replies arrived would
mostly measure the per-chat pace (about a second a reply after the third), so users
wait --think seconds (default 1; a person reads and types for longer) between messages.

Diagnostics: --trace times the server's steps (benchmarks/load_trace.py), --profile DIR
records each server with py-spy (`.venv/bin/pip install py-spy`) during the timed run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.channels.telegram.conftest import load, personalize  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI  # noqa: E402

SECRET = "load-benchmark-webhook-secret_0123"  # noqa: S105 (a test value)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
PG_HOST, PG_PORT = "127.0.0.1", 5432
# Settings a developer's shell may carry that would change what is measured.
DROPPED_ENV = ("PUBLIC_URL", "VIBER_TOKEN", "VIBER_API_URL", "RASA_URL", "CONTENT_DIR",
               "LOCALES_DIR", "SECRET_KEY_PREVIOUS", "DATABASE_URL")

# Moldova's users write mostly Romanian and Russian; Ukrainian and English too.
LANGUAGE_MIX = ("ro", "ru", "ro", "ru", "uk", "en")
TEXTS: dict[str, dict[str, str]] = {
    "ro": {
        "question": "Ce acte îmi trebuie ca să lucrez legal în Germania?",
        "question2": "E normal să plătesc o taxă agenției de recrutare înainte de plecare?",
        "offer": "Angajăm fete 18-25 ani pentru lucru în bar în Cipru, 3000 EUR pe lună, fără "
                 "experiență. Taxa de înregistrare 200 EUR înainte de plecare, angajatorul "
                 "păstrează pașaportul. Plecare săptămâna viitoare, scrieți pe Telegram "
                 "+373 69 123 456.",
        "thanks": "Mulțumesc mult!",
    },
    "ru": {
        "question": "Какие документы нужны, чтобы легально работать в Германии?",
        "question2": "Нормально ли платить агентству за трудоустройство до отъезда?",
        "offer": "Набираем девушек 18-25 лет на работу в баре на Кипре, 3000 евро в месяц, "
                 "опыт не нужен. Регистрационный взнос 200 евро до отъезда, паспорт хранится "
                 "у работодателя. Выезд на следующей неделе, пишите в Telegram +373 69 123 456.",
        "thanks": "Спасибо большое!",
    },
    "uk": {
        "question": "Які документи потрібні, щоб легально працювати в Німеччині?",
        "question2": "Чи нормально платити агентству за працевлаштування до від'їзду?",
        "offer": "Набираємо дівчат 18-25 років на роботу в барі на Кіпрі, 3000 євро на місяць, "
                 "досвід не потрібен. Реєстраційний внесок 200 євро до від'їзду, паспорт "
                 "зберігає роботодавець. Виїзд наступного тижня, пишіть у Telegram "
                 "+373 69 123 456.",
        "thanks": "Дякую!",
    },
    "en": {
        "question": "What documents do I need to work legally in Germany?",
        "question2": "Is it normal to pay a recruitment agency a fee before I leave?",
        "offer": "We hire girls 18-25 for bar work in Cyprus, 3000 EUR per month, no experience "
                 "needed. Registration fee 200 EUR before departure, the employer keeps your "
                 "passport. Leave next week, write on Telegram +373 69 123 456.",
        "thanks": "thanks a lot!",
    },
}
# (step name, "text" or "button", the text or button id; {lang} and TEXTS keys filled in)
SCRIPT: tuple[tuple[str, str, str], ...] = (
    ("start", "text", "/start"),
    ("language", "button", "lang:{lang}"),
    ("question", "text", "{question}"),
    ("topics", "button", "topics"),
    ("category", "button", "cat:before"),
    ("question2", "text", "{question2}"),
    ("offer", "button", "offer"),
    ("paste", "text", "{offer}"),
    ("menu", "button", "menu"),
    ("thanks", "text", "{thanks}"),
)
REPEAT_FROM = 2  # a conversation longer than SCRIPT goes on from the first question


# --- updates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One update of a conversation, ready to POST."""

    name: str
    body: bytes


@dataclass
class User:
    """One simulated Telegram user and the updates of its conversation."""

    chat_id: int
    language: str
    steps: list[Step]


class Updates:
    """Real-shaped updates with unique update_ids."""

    def __init__(self) -> None:
        self.text = load("update_message_text")
        self.press = load("update_callback_query")
        self.ids = itertools.count(300_000_001)

    def user(self, chat_id: int, language: str, messages: int) -> User:
        """A user's whole conversation of ``messages`` updates."""
        order = [*range(len(SCRIPT))]
        while len(order) < messages:
            order += range(REPEAT_FROM, len(SCRIPT))
        texts = {"lang": language, **TEXTS[language]}
        steps = []
        for message_id, index in enumerate(order[:messages], start=1):
            name, kind, value = SCRIPT[index]
            value = value.format(**texts)
            update = (self._text(chat_id, language, message_id, value) if kind == "text"
                      else self._press(chat_id, language, message_id, value))
            steps.append(Step(name, json.dumps(update, ensure_ascii=False).encode()))
        return User(chat_id, language, steps)

    def _text(self, chat_id: int, language: str, message_id: int, text: str) -> dict[str, Any]:
        update = personalize(self.text, chat_id, next(self.ids))
        update["message"].update(message_id=message_id * 2, text=text, date=int(time.time()))
        update["message"]["from"]["language_code"] = language
        return update

    def _press(self, chat_id: int, language: str, message_id: int, data: str) -> dict[str, Any]:
        update = personalize(self.press, chat_id, next(self.ids))
        query = update["callback_query"]
        query.update(id=f"{chat_id}{message_id:04d}", data=data)
        query["from"]["language_code"] = language
        query["message"]["message_id"] = message_id * 2 - 1  # the bot's message with the button
        return update


# --- replies seen by the fake Bot API --------------------------------------------------------


class Replies:
    """sendMessage calls per chat, in arrival order, with the fake's receive times."""

    def __init__(self, api: FakeTelegramAPI) -> None:
        self.api = api
        self.seen = 0
        self.at: dict[int, list[float]] = defaultdict(list)
        self._events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.last = time.monotonic()

    async def run(self) -> None:
        """Copy new calls from the fake every 2 ms (the times come from the fake itself)."""
        while True:
            calls = self.api.calls(start=self.seen)
            self.seen += len(calls)
            for call in calls:
                if call.method != "sendMessage":
                    continue
                chat = int(call.params["chat_id"])
                self.at[chat].append(call.at)
                self._events[chat].set()
                self.last = time.monotonic()
            await asyncio.sleep(0.002)

    def count(self, chat: int) -> int:
        """Replies received so far by one chat."""
        return len(self.at[chat])

    async def wait(self, chat: int, count: int, within: float) -> bool:
        """Until the chat has ``count`` replies; False after ``within`` seconds."""
        deadline = time.monotonic() + within
        while len(self.at[chat]) < count:
            event = self._events[chat]
            event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def quiet(self, chat: int, period: float, within: float) -> None:
        """Until no new reply has reached the chat for ``period`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            before = len(self.at[chat])
            await asyncio.sleep(period)
            if len(self.at[chat]) == before:
                return

    async def settle(self, period: float, within: float) -> None:
        """Until no reply at all has arrived for ``period`` seconds (``within`` at most)."""
        deadline = time.monotonic() + within
        while True:
            now = time.monotonic()
            if now - self.last >= period or now >= deadline:
                return
            await asyncio.sleep(min(period - (now - self.last), deadline - now))


# --- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_admin_urls() -> list[str]:
    given = os.environ.get("SAFEMIG_BENCH_PG_ADMIN") or os.environ.get("SAFEMIG_TEST_PG_ADMIN")
    if given:
        return [given]
    return [f"postgresql://{user}@{PG_HOST}:{PG_PORT}/postgres" for user in ("postgres", "root")]


async def _pg_execute(sql: str) -> str:
    """Run one statement as the first admin that connects; returns that admin's URL."""
    import asyncpg

    failure: Exception | None = None
    for url in _pg_admin_urls():
        try:
            conn = await asyncpg.connect(url, timeout=5)
        except (OSError, asyncpg.PostgresError) as exc:
            failure = exc
            continue
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
        return url
    raise SystemExit(f"PostgreSQL on {PG_HOST}:{PG_PORT} refused every admin user: {failure}")


@contextlib.contextmanager
def database(engine: str, tmp: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'load.sqlite3'}"
        return
    name = f"safemig_load_{uuid.uuid4().hex[:12]}"
    admin = asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def pg_stats(url: str) -> dict[str, int]:
    """Sessions opened and transactions committed so far in one PostgreSQL database."""
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres", timeout=5)
    try:
        row = await conn.fetchrow("SELECT sessions, xact_commit FROM pg_stat_database "
                                  "WHERE datname = $1", name)
    finally:
        await conn.close()
    return {"sessions": int(row["sessions"]), "commits": int(row["xact_commit"])} if row else {}


def server_env(db_url: str, tmp: Path, api_url: str, nlu_cache: Path) -> dict[str, str]:
    """The environment of every server process (no PUBLIC_URL: no setWebhook on the fake)."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and k not in DROPPED_ENV}
    env.update({
        "PYTHONPATH": str(REPO), "DATABASE_URL": db_url, "VAR_DIR": str(tmp / "var"),
        "SECRET_KEY": "load-benchmark-secret-key", "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_URL": api_url,
        "LOG_LEVEL": "WARNING", "OPERATOR_HOURS": "always", "NLU_BACKEND": "embedded",
        "NLU_CACHE_DIR": str(nlu_cache),
    })
    return env


@dataclass
class Server:
    """One `safemig serve` process."""

    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def status(self) -> dict[str, int]:
        """VmHWM and VmRSS in kB, from /proc."""
        out: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    out[key] = int(value.split()[0])
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU time so far."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def warnings(self) -> Counter[str]:
        """Log lines at warning or above, by event."""
        found: Counter[str] = Counter()
        for line in self.log.read_text("utf-8", "replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                found["(not JSON) " + line[:80]] += 1
                continue
            if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
                found[f"{entry['level']}: {entry.get('event')}"] += 1
        return found


def run_command(args: list[str], env: dict[str, str], cwd: Path) -> None:
    """`safemig ...` to the end; exits on failure."""
    done = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"safemig {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def start_server(env: dict[str, str], tmp: Path, index: int, trace: bool = False) -> Server:
    """Start one `safemig serve` on a free port (cwd: the temporary directory, no .env).

    With ``trace``, the same command runs under benchmarks/load_trace.py (timers only).
    """
    port = free_port()
    log = tmp / f"serve-{index}.log"
    command = ([str(REPO / "benchmarks" / "load_trace.py")] if trace else ["-m", "bot"])
    env = {**env, "SAFEMIG_LOAD_TRACE": str(tmp / f"trace-{index}.json")} if trace else env
    with log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, *command, "serve", "--port", str(port)],
                                env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=stderr)
    return Server(proc, f"http://127.0.0.1:{port}", log)


def wait_healthy(server: Server, timeout: float = 300) -> None:
    """Until /healthz answers 200 (a first start trains the NLU into the cache)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{server.log.read_text('utf-8')[-3000:]}")
        try:
            if httpx.get(server.base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become healthy")


def stop_server(server: Server) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it hangs."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


# --- profiling (optional) --------------------------------------------------------------------


def start_profilers(servers: list[Server], out: Path, rate: int,
                    idle: bool = False) -> list[subprocess.Popen[bytes]]:
    """py-spy record on each server for the timed run (collapsed stacks, non-blocking)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out.mkdir(parents=True, exist_ok=True)
    procs = []
    for index, server in enumerate(servers):
        procs.append(subprocess.Popen(
            [spy, "record", "--pid", str(server.proc.pid), "--rate", str(rate), "--nonblocking",
             "--format", "raw", "--output", str(out / f"server-{index}.txt"),
             *(["--idle"] if idle else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1.0)  # attached before the first update
    return procs


def stop_profilers(procs: list[subprocess.Popen[bytes]], out: Path, top: int = 25) -> str:
    """Stop py-spy (it writes on SIGINT) and summarise the hottest functions."""
    for proc in procs:
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    lines = []
    for path in sorted(out.glob("server-*.txt")):
        inclusive: Counter[str] = Counter()
        leaf: Counter[str] = Counter()
        total = 0
        for line in path.read_text("utf-8", "replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            total += count
            frames = [_frame(f) for f in stack.split(";")]
            for name in set(frames[1:]):  # the first frame is the process/thread
                inclusive[name] += count
            leaf[frames[-1]] += count
        lines.append(f"\n{path.name}: {total} samples")
        lines.append("  inclusive:")
        lines += [f"    {100 * n / max(total, 1):5.1f}%  {name}"
                  for name, n in inclusive.most_common(top)]
        lines.append("  self:")
        lines += [f"    {100 * n / max(total, 1):5.1f}%  {name}"
                  for name, n in leaf.most_common(top)]
    summary = "\n".join(lines)
    (out / "summary.txt").write_text(summary + "\n", "utf-8")
    return summary


def _frame(frame: str) -> str:
    """'func (path/to/file.py:12)' as 'func (file.py)': one entry per function."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    short = "/".join(Path(path).parts[-2:]) if path else ""
    return f"{name} ({short})" if short else name


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the timed run saw."""

    latencies: list[float] = field(default_factory=list)  # first reply, seconds
    full: list[float] = field(default_factory=list)  # last reply of the update
    webhook: list[float] = field(default_factory=list)  # the POST's own round trip
    by_step: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0  # steps whose replies had not all arrived in time
    started: float = 0.0
    finished: float = 0.0


class Load:
    """Drives users against the servers, round-robin, at most ``concurrency`` POSTs at once."""

    def __init__(self, bases: list[str], replies: Replies, concurrency: int,
                 reply_timeout: float) -> None:
        self.bases = bases
        self.replies = replies
        self.gate = asyncio.Semaphore(concurrency)
        self.next_server = itertools.cycle(range(len(bases)))
        self.reply_timeout = reply_timeout
        self.client = httpx.AsyncClient(
            timeout=60, limits=httpx.Limits(max_connections=concurrency * len(bases),
                                            max_keepalive_connections=concurrency * len(bases)))

    async def post(self, body: bytes) -> tuple[str, float, float]:
        """One webhook delivery: (status, start, end)."""
        async with self.gate:
            base = self.bases[next(self.next_server)]
            started = time.monotonic()
            try:
                response = await self.client.post(
                    base + "/webhooks/telegram", content=body,
                    headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            return status, started, time.monotonic()

    async def calibrate(self, user: User, quiet: float) -> list[int]:
        """Step by step, waiting for quiet: how many replies each step gets."""
        counts = []
        for step in user.steps:
            before = self.replies.count(user.chat_id)
            status, _, _ = await self.post(step.body)
            if status != "200":
                raise SystemExit(f"warm-up: the webhook answered {status} to {step.name}")
            if not await self.replies.wait(user.chat_id, before + 1, self.reply_timeout):
                raise SystemExit(f"warm-up: no reply to {step.name} ({user.language})")
            await self.replies.quiet(user.chat_id, quiet, self.reply_timeout)
            counts.append(self.replies.count(user.chat_id) - before)
        return counts

    async def converse(self, user: User, expected: list[int], think: float,
                       outcome: Outcome) -> None:
        """The user's conversation, each message after the replies to the one before."""
        for step, count in zip(user.steps, expected, strict=True):
            before = self.replies.count(user.chat_id)
            status, started, ended = await self.post(step.body)
            outcome.statuses[status] += 1
            outcome.webhook.append(ended - started)
            if status != "200":
                continue  # nothing was stored: Telegram would deliver it again
            if not await self.replies.wait(user.chat_id, before + count, self.reply_timeout):
                outcome.timeouts += 1
            got = self.replies.at[user.chat_id][before:before + count]
            if got:
                outcome.latencies.append(got[0] - started)
                outcome.by_step[step.name].append(got[0] - started)
            if len(got) == count:
                outcome.full.append(got[-1] - started)
            if think:
                await asyncio.sleep(think)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


async def drive(args: argparse.Namespace, api: FakeTelegramAPI,
                servers: list[Server]) -> dict[str, Any]:
    """Warm-up (and calibration), then the timed run; returns the measurements."""
    replies = Replies(api)
    poller = asyncio.create_task(replies.run())
    load = Load([s.base for s in servers], replies, args.concurrency, args.reply_timeout)
    updates = Updates()
    languages = sorted(set(LANGUAGE_MIX))
    try:
        # Warm-up: one user per language at a time, step by step (also learns the replies).
        probes = [updates.user(5_900_000_000 + i, lang, args.messages)
                  for i, lang in enumerate(languages)]
        counts = await asyncio.gather(*(load.calibrate(u, args.quiet) for u in probes))
        expected = dict(zip(languages, counts, strict=True))
        await replies.settle(args.quiet, 30)

        users = [updates.user(6_100_000_000 + i, LANGUAGE_MIX[i % len(LANGUAGE_MIX)],
                              args.messages) for i in range(args.users)]
        baseline = {u.chat_id: replies.count(u.chat_id) for u in users}
        cpu_before = [s.cpu_seconds() for s in servers]
        own_before = time.process_time()
        pg_before = await pg_stats(args.db_url) if args.db == "postgres" else {}
        profilers = (start_profilers(servers, args.profile, args.profile_rate,
                                     args.profile_idle) if args.profile else [])
        outcome = Outcome()
        outcome.started = time.monotonic()
        await asyncio.gather(*(load.converse(u, expected[u.language], args.think, outcome)
                               for u in users))
        await replies.settle(args.settle, args.settle + 60)
        profile = stop_profilers(profilers, args.profile) if profilers else ""
        cpu_after = [s.cpu_seconds() for s in servers]
        own_cpu = time.process_time() - own_before
        # Statistics reach pg_stat_database when a backend reports them (at the latest when
        # it ends), so the servers' counts are read again after they stop (see main).
        pg_after = await pg_stats(args.db_url) if args.db == "postgres" else {}
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await load.close()

    want = {u.chat_id: sum(expected[u.language]) for u in users}
    got = {u.chat_id: replies.count(u.chat_id) - baseline[u.chat_id] for u in users}
    missing = sum(max(0, want[c] - got[c]) for c in want)
    extra = sum(max(0, got[c] - want[c]) for c in want)
    last = [replies.at[u.chat_id][-1] for u in users if got[u.chat_id]]
    outcome.finished = max(last) if last else time.monotonic()
    wall = outcome.finished - outcome.started
    sent = sum(got.values())
    n_updates = sum(outcome.statuses.values())
    non_200 = sum(n for status, n in outcome.statuses.items() if status != "200")
    return {
        "expected_replies_per_step": expected,
        "updates": n_updates,
        "replies": sent,
        "wall_seconds": wall,
        "updates_per_second": n_updates / wall if wall > 0 else 0.0,
        "replies_per_second": sent / wall if wall > 0 else 0.0,
        "latency_ms": _percentiles(outcome.latencies),
        "full_turn_ms": _percentiles(outcome.full),
        "webhook_ms": _percentiles(outcome.webhook),
        "by_step_ms": {name: _percentiles(values) for name, values in outcome.by_step.items()},
        "statuses": dict(outcome.statuses),
        "errors": {"non_200": non_200, "missing_replies": missing, "duplicate_replies": extra,
                   "late_steps": outcome.timeouts},
        "server_cpu_seconds": [round(a - b, 2) for a, b in zip(cpu_after, cpu_before,
                                                                strict=True)],
        "load_generator_cpu_seconds": round(own_cpu, 2),
        "profile": profile,
        "pg_before": pg_before,
        "pg_during": {k: pg_after[k] - pg_before.get(k, 0) for k in pg_after},
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:  # nearest rank, as benchmarks/nlu.py
        return round(1000 * ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 1)

    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": round(1000 * ordered[-1], 1),
            "mean": round(1000 * statistics.fmean(ordered), 1)}


# --- the report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python, date (as benchmarks/nlu.py)."""
    cpu, mem = "unknown", 0
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
        with open("/proc/meminfo", encoding="ascii") as f:
            mem = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 1024 / 1024, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


HEADER = ("| db | processes | users x messages | concurrency | updates/s | latency p50 / p95 / p99 "
          "(ms) | webhook p50 / p99 (ms) | errors | peak RSS per process (MB) |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def table_row(args: argparse.Namespace, result: dict[str, Any]) -> str:
    """One markdown row for benchmarks/RESULTS.md."""
    lat, hook, errors = result["latency_ms"], result["webhook_ms"], result["errors"]
    error_count = errors["non_200"] + errors["missing_replies"] + errors["duplicate_replies"]
    rss = " / ".join(f"{kb / 1024:.0f}" for kb in result["peak_rss_kb"])
    return (f"| {args.db} | {args.processes} | {args.users} x {args.messages} | "
            f"{args.concurrency} | {result['updates_per_second']:.1f} | "
            f"{lat.get('p50', 0):.0f} / {lat.get('p95', 0):.0f} / {lat.get('p99', 0):.0f} | "
            f"{hook.get('p50', 0):.0f} / {hook.get('p99', 0):.0f} | {error_count} | {rss} |")


def report(args: argparse.Namespace, result: dict[str, Any]) -> str:
    """The whole result as markdown."""
    m = result["machine"]
    lines = [
        f"load: {args.db}, {args.processes} process(es), {args.users} users x {args.messages} "
        f"messages, concurrency {args.concurrency}, think {args.think} s",
        f"machine: nproc {m['nproc']}, {m['cpu']}, {m['ram_gib']} GiB RAM, Python "
        f"{m['python']}, Linux {m['kernel']}; {m['date']}; load average before "
        f"{m['load_average']}",
        "",
        HEADER,
        table_row(args, result),
        "",
        f"- updates {result['updates']}, replies {result['replies']} in "
        f"{result['wall_seconds']:.1f} s ({result['replies_per_second']:.1f} sendMessage/s)",
        f"- latency to the first reply (ms): {result['latency_ms']}",
        f"- latency to the last reply of the update (ms): {result['full_turn_ms']}",
        f"- webhook round trip (ms): {result['webhook_ms']}",
        f"- webhook answers: {result['statuses']}; errors: {result['errors']}",
        f"- replies per step (from the warm-up): {result['expected_replies_per_step']}",
        f"- server CPU during the run (s): {result['server_cpu_seconds']} "
        f"({result['cpu_ms_per_update']:.1f} ms per update); this process (users and fake "
        f"Bot API): {result['load_generator_cpu_seconds']} s",
        f"- peak RSS (VmHWM, kB): {result['peak_rss_kb']}; RSS at the end (kB): "
        f"{result['rss_kb']}",
        "- first reply p50 / p99 by step (ms): " + ", ".join(
            f"{name} {v.get('p50')} / {v.get('p99')}" for name, v in result["by_step_ms"].items()),
    ]
    if "pg_opened" in result:
        lines.append(f"- PostgreSQL sessions opened / transactions committed, timed run to "
                     f"shutdown: {result['pg_opened']}")
    if result["server_warnings"]:
        lines.append(f"- server log warnings: {result['server_warnings']}")
    for index, trace in enumerate(result.get("trace", [])):
        lines += ["", f"trace of server {index} (whole life, warm-up included):"]
        lines += [f"  {label}: {value}" for label, value in trace.items()]
    if result["profile"]:
        lines += ["", "py-spy (timed run):", result["profile"]]
    return "\n".join(lines)


def main() -> int:
    """Parse the options, set everything up, run, report, clean up."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="updates per user")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--processes", type=int, default=1, help="`safemig serve` processes")
    parser.add_argument("--concurrency", type=int, default=40,
                        help="webhook requests in flight at most (default 40: Telegram's "
                             "default max_connections for a webhook)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a user waits after the replies before writing again "
                             "(default 1: slower than Telegram's per-chat pace of about one "
                             "message a second, which the server keeps)")
    parser.add_argument("--reply-timeout", type=float, default=60.0,
                        help="seconds to wait for the replies to one update")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds of silence that end the run (late or extra replies)")
    parser.add_argument("--quiet", type=float, default=1.5,
                        help="warm-up: seconds of silence after which a step's replies are in")
    parser.add_argument("--nlu-cache", type=Path, default=REPO / "var" / "nlu-cache",
                        help="NLU_CACHE_DIR shared by the processes (trained once)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record each server with py-spy during the timed run into DIR")
    parser.add_argument("--profile-rate", type=int, default=100)
    parser.add_argument("--profile-idle", action="store_true",
                        help="sample idle threads too (where the event loop waits)")
    parser.add_argument("--trace", action="store_true",
                        help="time the server's steps (benchmarks/load_trace.py)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args()
    if args.users < 1 or args.messages < 1 or args.processes < 1 or args.concurrency < 1:
        parser.error("--users, --messages, --processes and --concurrency must be positive")
    if args.db == "sqlite" and args.processes > 1:
        print("note: several processes on one SQLite file is not a supported deployment",
              file=sys.stderr)

    info = machine()
    tmp = Path(tempfile.mkdtemp(prefix="safemig-load-"))
    api = FakeTelegramAPI().start()
    servers: list[Server] = []
    try:
        with database(args.db, tmp) as db_url:
            args.db_url = db_url
            env = server_env(db_url, tmp, api.url, args.nlu_cache)
            run_command(["db", "upgrade"], env, tmp)
            # Trained once into the shared cache (if the data changed), so that the servers
            # only load it and their peak memory is that of serving.
            run_command(["nlu", "train", "--cache-dir", str(args.nlu_cache)], env, tmp)
            servers = [start_server(env, tmp, i, args.trace) for i in range(args.processes)]
            for server in servers:
                wait_healthy(server)
            try:
                result = asyncio.run(drive(args, api, servers))
                result["peak_rss_kb"] = [s.status().get("VmHWM", 0) for s in servers]
                result["rss_kb"] = [s.status().get("VmRSS", 0) for s in servers]
            finally:
                for server in servers:
                    stop_server(server)
            if args.db == "postgres":
                after = asyncio.run(pg_stats(db_url))
                result["pg_opened"] = {k: after[k] - result["pg_before"].get(k, 0)
                                       for k in after}
        if args.trace:
            result["trace"] = [json.loads(path.read_text("utf-8"))
                               for path in sorted(tmp.glob("trace-*.json"))]
        warnings: Counter[str] = Counter()
        for server in servers:
            warnings.update(server.warnings())
        result["server_warnings"] = dict(warnings)
    finally:
        api.stop()
        for server in servers:
            if server.proc.poll() is None:
                server.proc.kill()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    result["machine"] = info
    result["cpu_ms_per_update"] = (1000 * sum(result["server_cpu_seconds"])
                                   / max(result["updates"], 1))
    result["options"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(report(args, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
