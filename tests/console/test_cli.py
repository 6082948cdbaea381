"""``safemig operator add`` through the real command line, then a login with the account."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.console.accounts import AccountError, add_operator
from bot.service import Service
from bot.storage import Operator
from tests.conftest import env_for

# The command writes one row; the engines are exercised by every other test here.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

PASSWORD = "a long enough secret"


def operator_add(tmp_path: Path, db_url: str, *args: str,
                 stdin: str = PASSWORD + "\n") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "operator", "add", *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          env=env_for(tmp_path, db_url), check=False)


async def login(client: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": name, "password": password})


async def test_an_account_added_on_the_command_line_can_log_in(
        tmp_path: Path, db_url: str, client: httpx.AsyncClient) -> None:
    done = operator_add(tmp_path, db_url, "maria", "--role", "supervisor", "--password-stdin")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "added supervisor maria" in done.stderr
    assert PASSWORD not in done.stderr, "the password is never echoed"
    answer = await login(client, "maria", PASSWORD)
    assert answer.status_code == 200
    assert answer.json()["role"] == "supervisor"
    assert (await client.get("/api/supervisor/overview")).status_code == 200
    assert (await login(client, "maria", PASSWORD + "x")).status_code == 401


@pytest.mark.parametrize(
    ("label", "args", "stdin", "message"),
    [
        ("A short password", ("--password-stdin",), "short\n", "at least 10 characters"),
        ("An unknown role", ("--role", "admin", "--password-stdin"), PASSWORD + "\n",
         "invalid choice"),
    ],
)
async def test_bad_input_exits_2_and_adds_nobody(
        tmp_path: Path, db_url: str, client: httpx.AsyncClient, label: str,
        args: tuple[str, ...], stdin: str, message: str) -> None:
    done = operator_add(tmp_path, db_url, "ion", *args, stdin=stdin)
    assert done.returncode == 2, (label, done.stderr)
    assert message in done.stderr, label
    assert (await login(client, "ion", stdin.strip())).status_code == 401, label


@pytest.mark.parametrize(
    ("label", "name", "password", "role", "message"),
    [
        ("A password of 9 characters", "ion", "123456789", "operator", "at least 10"),
        ("An empty password", "ion", "", "operator", "at least 10"),
        ("A name with a space", "ion popescu", PASSWORD, "operator", "the name may have"),
        ("A name of one letter", "i", PASSWORD, "operator", "the name may have"),
        ("A name of 65 letters", "i" * 65, PASSWORD, "operator", "the name may have"),
        ("An unknown role", "ion", PASSWORD, "admin", "the role is"),
    ],
)
async def test_add_operator_refuses_weak_input(
        service: Service, label: str, name: str, password: str, role: str,
        message: str) -> None:
    with pytest.raises(AccountError, match=message):
        await add_operator(service.db, name, password, role)
    async with service.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Operator)) == 0, label


async def test_a_taken_name_exits_2_and_keeps_the_first_password(
        tmp_path: Path, db_url: str, service: Service, client: httpx.AsyncClient) -> None:
    await add_operator(service.db, "ion", PASSWORD)
    again = operator_add(tmp_path, db_url, "ion", "--role", "supervisor", "--password-stdin",
                         stdin="another long secret\n")
    assert again.returncode == 2
    assert "taken" in again.stderr
    answer = await login(client, "ion", PASSWORD)
    assert answer.status_code == 200 and answer.json()["role"] == "operator"
    assert (await login(client, "ion", "another long secret")).status_code == 401
