#!/usr/bin/env python3
"""Crash test: acknowledged scans survive kill -9 (docs/design.md rule 4).

Starts the app under gunicorn, runs scanner clients that retry every
unacknowledged scan with the same client id (as the phone's queue does), kills
the server with SIGKILL at random moments, restarts it, and at the end checks:
every acknowledged scan is in the database exactly once, nothing is
duplicated, and ``postal-tracker verify`` passes.

    python scripts/crash_test.py --db sqlite --kills 10 --seconds 60
    python scripts/crash_test.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Tally:
    acknowledged: dict[str, int] = field(default_factory=dict)  # client id -> event id
    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: int = 0
    connection_errors: int = 0


class Server:
    def __init__(
        self, env: dict[str, str], port: int, workers: int,
        app: str = "postal_tracker.app:create_app()", cwd: Path = ROOT,
    ) -> None:
        self.env, self.port, self.workers, self.app = env, port, workers, app
        self.cwd = cwd  # the source tree whose app it serves
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", self.app],
            env=self.env, cwd=self.cwd, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            # The whole process group: the master and every worker, mid-request.
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def post(port: int, path: str, body: dict[str, object], token: str | None = None
         ) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def client(port: int, token: str, code: str, stop: threading.Event, tally: Tally) -> None:
    kinds = ["departed", "arrived"]
    n = 0
    while not stop.is_set():
        body = {"client_id": str(uuid.uuid4()), "tracking_code": code, "kind": kinds[n % 2],
                "device_time": datetime.now(VN).isoformat()}
        n += 1
        # Retry the same scan until the server acknowledges it, like the phone's queue.
        while True:
            with tally.lock:
                tally.attempts += 1
            try:
                status, answer = post(port, "/api/v1/scans", body, token)
            except (OSError, http.client.HTTPException, json.JSONDecodeError):
                with tally.lock:
                    tally.connection_errors += 1
                time.sleep(0.05)
                continue
            if status in (200, 201):
                event = answer["event"]
                assert isinstance(event, dict)
                with tally.lock:
                    tally.acknowledged[str(body["client_id"])] = int(event["id"])
                break
            raise RuntimeError(f"unexpected answer {status}: {answer}")


def prepare(db: str, workdir: Path) -> tuple[dict[str, str], str, list[str]]:
    """A fresh database with the demo data and eight items to scan."""
    env = dict(os.environ)
    if db == "sqlite":
        url = f"sqlite:///{workdir / 'crash.sqlite3'}"
        created = None
    else:
        created = f"pt_crash_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(db, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{created}"')
        url = make_url(db).set(database=created).render_as_string(hide_password=False)
    env.update(POSTAL_TRACKER_DATABASE_URL=url, POSTAL_TRACKER_SECRET_KEY="c" * 64,
               POSTAL_TRACKER_INSTANCE_PATH=str(workdir), POSTAL_TRACKER_ENV="development")
    subprocess.run([str(BIN / "postal-tracker"), "migrate"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([str(BIN / "postal-tracker"), "demo-data"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    codes = make_items(env, 8)
    env["CRASH_CREATED_DB"] = created or ""
    return env, url, codes


def make_items(env: dict[str, str], n: int) -> list[str]:
    code = (
        "import json\n"
        "from postal_tracker import db\n"
        "from postal_tracker.app import create_app\n"
        "from tests.custody.helpers import new_item\n"
        "app = create_app()\n"
        "with app.app_context(), db.transaction(db.engine()) as s:\n"
        f"    print(json.dumps([new_item(s).tracking_code for _ in range({n})]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def check(url: str, tally: Tally, codes: list[str]) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT e.client_id, e.id FROM custody_event e JOIN item i ON i.id = e.item_id "
                "WHERE e.kind IN ('departed', 'arrived') AND i.tracking_code IN :codes"
            ).bindparams(sa.bindparam("codes", expanding=True)),
            {"codes": codes},
        ).all()
    engine.dispose()
    stored: dict[str, list[int]] = {}
    for client_id, event_id in rows:
        stored.setdefault(client_id, []).append(event_id)
    missing = [c for c in tally.acknowledged if c not in stored]
    duplicated = [c for c, ids in stored.items() if len(ids) > 1]
    wrong = [c for c, e in tally.acknowledged.items() if c in stored and stored[c][0] != e]
    return {"acknowledged": len(tally.acknowledged), "stored": len(rows),
            "missing": len(missing), "duplicated": len(duplicated),
            "answer_mismatch": len(wrong)}


def run(db: str, kills: int, seconds: float, clients: int = 8, workers: int = 3,
        seed: int | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        env, url, codes = prepare(db, Path(tmp))
        port = free_port()
        server = Server(env, port, workers)
        server.start()
        status, answer = post(port, "/api/v1/tokens",
                              {"username": "canbo.trangxa", "password": "demo-pass-2026"})
        assert status == 201, answer
        token = str(answer["token"])
        tally, stop = Tally(), threading.Event()
        threads = [threading.Thread(target=client, args=(port, token, codes[i % len(codes)],
                                                         stop, tally), daemon=True)
                   for i in range(clients)]
        for t in threads:
            t.start()
        pause = seconds / (kills + 1)
        try:
            for _ in range(kills):
                time.sleep(rng.uniform(0.3 * pause, pause))
                server.kill()
                time.sleep(rng.uniform(0.05, 0.5))
                server.start()
            time.sleep(pause)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
            server.kill()
        result = check(url, tally, codes)
        verify = subprocess.run([str(BIN / "postal-tracker"), "verify"], env=env,
                                capture_output=True, text=True)
        result.update(kills=kills, attempts=tally.attempts,
                      connection_errors=tally.connection_errors,
                      verify_exit=verify.returncode)
        if env["CRASH_CREATED_DB"]:
            admin = sa.create_engine(db, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{env["CRASH_CREATED_DB"]}" WITH (FORCE)')
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", help="'sqlite' or a PostgreSQL server URL")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    result = run(args.db, args.kills, args.seconds, args.clients)
    print(json.dumps(result, indent=2))
    ok = result["missing"] == result["duplicated"] == result["answer_mismatch"] == 0
    ok = ok and result["verify_exit"] == 0 and result["acknowledged"] > 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
