"""Shared bench machinery: databases, deployment, users, a real gunicorn server, HTTP clients, stats."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-password-long-enough"
USERS = {"bench_admin": "admin", "bench_manager": "manager", "bench_auditor": "auditor"}
CORES = os.cpu_count() or 1

# -- output --------------------------------------------------------------------------------------

LOG: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    LOG.append(line)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- databases -----------------------------------------------------------------------------------


@dataclass
class Db:
    kind: str  # sqlite | postgresql
    url: str
    cleanup: Callable[[], None]


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as err:
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"


def new_database(kind: str, workdir: Path) -> Db:
    """A fresh, migrated, deployed database with bench users."""
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        url = f"sqlite:///{path}"

        def cleanup() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    else:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = _pg_url(name)

        def cleanup() -> None:
            eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with eng.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            eng.dispose()

    db = Db(kind, url, cleanup)
    try:
        prepare(url)
    except BaseException:
        cleanup()
        raise
    return db


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[Db]:
    db = new_database(kind, workdir)
    try:
        yield db
    finally:
        db.cleanup()


def service_db(url: str):
    from service.store.db import make_engine, make_session_factory
    from service.store.uow import Database

    engine = make_engine(url)
    return Database(engine, make_session_factory(engine))


_HASH: list[str] = []


def prepare(url: str) -> None:
    """Migrate, add the default SLA, deploy example_callback and the bench diagrams, create users."""
    from service.access import auth
    from service.cases import definitions, slas
    from service.store import migrate

    migrate.upgrade(url)
    db = service_db(url)
    files, forms = definitions.read_directory(
        [ROOT / "bpmn" / "example_callback.bpmn", BENCH / "bpmn"], ROOT / "forms"
    )
    forms = {k: v for k, v in forms.items() if k == "example_callback"}
    if not _HASH:
        _HASH.append(auth.hash_password(PASSWORD))

    def setup(session):
        slas.ensure_default(session)
        definitions.deploy(session, files, forms, "bench")
        for name, role in USERS.items():
            auth.create_user(session, name, role, PASSWORD, password_hash=_HASH[0])

    db.run(setup)
    db.engine.dispose()


def tokens(url: str, ttl_hours: int = 4) -> dict[str, str]:
    from sqlalchemy import select

    from service.access import auth
    from service.store.models import User

    db = service_db(url)

    def issue(session):
        out = {}
        for name in USERS:
            user = session.scalars(select(User).where(User.username == name)).one()
            out[name] = auth.issue_token(session, user, ttl_hours)[0]
        return out

    result = db.run(issue)
    db.engine.dispose()
    return result


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``advocacy-flow serve`` (gunicorn) as a subprocess on 127.0.0.1 and a random free port."""

    def __init__(
        self, url: str, workers: int, workdir: Path, scheduler: bool = False, root: Path = ROOT
    ) -> None:
        self.url = url
        self.root = root  # the checkout whose code it serves
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.log_path = workdir / f"server-{self.port}.log"
        self.scheduler = scheduler
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        cmd = [PYTHON, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--workers", str(self.workers)]
        if not self.scheduler:
            cmd.append("--no-scheduler")
        return cmd

    def __enter__(self) -> Server:
        env = {**os.environ, "ADVOCACY_FLOW_DATABASE_URL": self.url, "ADVOCACY_FLOW_SECRET_KEY": "bench"}
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log_path}\n{self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.base}/health", timeout=2).status_code < 500:
                    # every worker must be up: hit health a few times
                    for _ in range(self.workers * 3):
                        requests.get(f"{self.base}/health", timeout=5)
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"server did not answer in 90 s: see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


@contextmanager
def scheduler_process(url: str, workdir: Path) -> Iterator[subprocess.Popen]:
    env = {**os.environ, "ADVOCACY_FLOW_DATABASE_URL": url}
    log = open(workdir / "scheduler.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [PYTHON, "-m", "service.cli", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


class Client:
    """One keep-alive HTTP session (one per client thread)."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, timeout=60, **kw)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=60)


def start_callback(client: Client, n: int) -> dict:
    r = client.post(
        "/process-instances",
        {"process": "example_callback", "variables": {"caller_ref": f"bench-{n}", "priority": "normal"}},
    )
    if r.status_code != 201:
        raise RuntimeError(f"start: {r.status_code} {r.text[:300]}")
    return r.json()


CALL_BACK_DATA = {"called_at": "2025-01-06T10:00:00+00:00", "documents_needed": False}


def run_threads(count: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def wrap(i: int) -> None:
        try:
            target(i)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@dataclass
class Budget:
    """Bounded by count and by time."""

    count: int
    seconds: float
    started: float = field(default_factory=time.monotonic)
    _taken: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> int | None:
        with self._lock:
            if self._taken >= self.count or time.monotonic() - self.started > self.seconds:
                return None
            self._taken += 1
            return self._taken


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="advocacy-bench-"))


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
