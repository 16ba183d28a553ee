"""The service under gunicorn on loopback, for tests that need separate
processes (races, killed connections) against the test database.

    with gunicorn(workers=4) as server:
        status, body = server.request("POST", "/api/v1/...", {...}, token=secret)

The server runs `config.wsgi:application` with the test settings, on the test
database of this pytest process (so the test must commit its data:
`pytest.mark.django_db(transaction=True)`), with persistent connections
(CONN_MAX_AGE) so a worker keeps its database connection between requests,
as in production. Every option is on the command line here; nothing reads
deploy/ files.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this process's tests run on."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        token: str = "",
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> tuple[int, object]:
        """One request on a fresh connection: (status, JSON body or text)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            sent = dict(headers or {})
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                sent["Content-Type"] = "application/json"
            if token:
                sent["Authorization"] = f"Token {token}"
            conn.request(method, path, body=payload, headers=sent)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def gunicorn(
    *,
    workers: int = 4,
    start_timeout: float = 90,
    database_url: str = "",
    environment: dict[str, str] | None = None,
    port: int = 0,
) -> Iterator[Server]:
    """`database_url` and `environment` run another instance (its own
    database and key files: tests/support/peer.py); by default the server
    shares this process's test database and settings."""
    port = port or free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url or test_database_url(),
        "CONN_MAX_AGE": "60",
        **(environment or {}),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--preload",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
        "config.wsgi:application",
    ]
    log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server("127.0.0.1", port, process, log)
    try:
        _wait_until_up(server, start_timeout)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.unlink(missing_ok=True)


def _wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + server.output())
        with contextlib.suppress(OSError):
            status, _ = server.request("GET", "/healthz", timeout=5)
            if status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time:\n" + server.output())
