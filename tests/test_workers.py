"""`safemig serve --workers N`: several processes on one port, PostgreSQL only."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import env_for, free_port


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(status.parent.name))
    return found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_several_workers_on_sqlite_are_refused(tmp_path: Path, db_url: str) -> None:
    run = subprocess.run([sys.executable, "-m", "bot", "serve", "--workers", "2"],
                         env=env_for(tmp_path, db_url), capture_output=True, timeout=60,
                         check=False)
    assert run.returncode == 2 and b"PostgreSQL" in run.stderr


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_workers_serve_one_port_and_stop_on_sigterm(tmp_path: Path, db_url: str) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--workers", "2",
                             "--port", str(port)], env=env_for(tmp_path, db_url),
                            stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        workers: set[int] = set()
        while time.monotonic() < deadline:
            workers = _children(proc.pid)
            try:
                healthy = httpx.get(base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                healthy = False
            if healthy and len(workers) >= 2:
                break
            time.sleep(0.3)
        assert len(workers) >= 2, "expected two worker processes"
        # Every request is served, whichever worker takes it.
        answers = {httpx.post(base + "/api/auth/login", timeout=10,
                              json={"username": "nobody", "password": "x" * 12}).status_code
                   for _ in range(4)}  # under the throttle of 5 failures per name
        assert answers == {401}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
