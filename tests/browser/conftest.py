"""Browser tests: the real service in a real Chromium, as a new user would meet it.

* ``live`` (session): ``advocacy-flow deploy``, ``advocacy-flow demo`` and ``advocacy-flow serve``
  run as subprocesses on a fresh SQLite file, exactly as ``make serve`` does; ``live.url`` is
  the service's address.  The demo users are in ``service.demo.DEMO_USERS`` (password
  ``DEMO_PASSWORD``).
* ``browser`` (session): Debian's Chromium (``/usr/bin/chromium``, or ``ADVOCACY_FLOW_CHROMIUM``)
  driven by Playwright; Playwright never downloads a browser.  Without Chromium the tests are
  skipped with the reason, unless ``ADVOCACY_FLOW_REQUIRE_BROWSER=1`` (``.ci/run``), which makes
  them fail instead.
* ``page_as(user, width=1280, height=900)``: a new browser context (its own cookies) logged in
  through the login form; ``page_as(None)`` is not logged in.  Console errors and refused
  requests (CSP violations included) are collected in ``page.problems``; ``check_clean(page)``
  asserts there were none.
* ``screenshot(page, name)``: a full-page PNG in ``test-artifacts/screenshots/`` for a person to
  look at (``ADVOCACY_FLOW_SCREENSHOTS`` overrides the folder).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.base.config import ROOT
from service.demo import DEMO_PASSWORD

CHROMIUM = os.environ.get("ADVOCACY_FLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("ADVOCACY_FLOW_REQUIRE_BROWSER") == "1"
SHOTS = Path(os.environ.get("ADVOCACY_FLOW_SCREENSHOTS") or ROOT / "test-artifacts" / "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLI = [sys.executable, "-m", "service.cli"]


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium; `make test` tries)"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    if not (ROOT / "service" / "web" / "static" / "vendor" / "bpmn-js" / ".stamp").exists():
        pytest.fail("bpmn-js is not in service/web/static/vendor: run `make vendor`")


@dataclass
class Live:
    url: str
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*CLI, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[Live]:
    _need_browser()
    folder = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "ADVOCACY_FLOW_DATABASE_URL": f"sqlite:///{folder / 'live.sqlite3'}",
        "ADVOCACY_FLOW_SECRET_KEY": "browser-tests",
    }
    service = Live(f"http://127.0.0.1:{port}", env)
    service.cli("deploy")
    service.cli("demo")
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - open for the server's whole life
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{service.url}/api/v1/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start: {(folder / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield service
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _watch(page) -> None:
    page.problems = []
    page.on(
        "console",
        lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: page.problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: _failed(page, r))


def _failed(page, request) -> None:
    # A request cut short by the page moving on (the favicon while a form posts, say) is not a fault.
    if request.failure != "net::ERR_ABORTED":
        page.problems.append(f"request failed: {request.url} {request.failure}")


def check_clean(page, *, expected: tuple[str, ...] = ()) -> None:
    """No console error, script error or refused request (a CSP violation is a console error).

    ``expected``: texts of errors the test provoked on purpose (a form answered 422, say).
    """
    left = [p for p in page.problems if not any(text in p for text in expected)]
    assert not left, left


def login(page, base: str, user: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture
def page_as(browser, live):
    contexts = []

    def open_page(user: str | None, width: int = 1280, height: int = 900, **options):
        options = {"locale": "en-GB", "timezone_id": "Europe/London", **options}  # as the service's users
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        _watch(page)
        if user is not None:
            login(page, live.url, user)
            assert "/login" not in page.url, f"{user} could not log in: {page.content()[:500]}"
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_diagram(page, selector: str = "#diagram") -> None:
    page.wait_for_selector(f"{selector}[data-ready='true']")
