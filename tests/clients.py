"""The real clients the export tests drive: Chromium, TimelineJS, Datasette (a helper module).

On a machine without one of them its tests skip, naming what is missing. Under
``CI=true`` (``.ci/run`` sets it) they fail instead: CI installs every client, so
a missing one there is a broken setup, never a reason to pass.

Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe``
(file descriptors 3 and 4, NUL-terminated JSON messages): no port is opened, and
no package beyond the standard library is needed. Pages are served by a small
HTTP server bound to 127.0.0.1, as a reader's browser would load them.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import http.server
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Where `.ci/run` installs TimelineJS from npm (a git-ignored folder); or CHRONICLE_TIMELINEJS.
TIMELINEJS_HOME = ROOT / ".clients" / "node_modules" / "@knight-lab" / "timelinejs" / "dist"
# Flags for a browser that must neither reach out nor remember anything between runs.
QUIET = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions", "--mute-audio",
)  # fmt: skip
TIMEOUT = 60.0
# Requests to the servers the tests start: never through a proxy the environment names.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def required() -> bool:
    """Whether a missing client fails the run (CI) rather than skipping its tests."""
    return os.environ.get("CI", "").lower() == "true"


def need(found: Any, what: str) -> Any:
    """``found``, or a skip naming ``what`` is missing (a failure under CI=true)."""
    if not found:
        message = f"{what} is not installed here (.ci/run installs it)"
        if required():
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    return found


@functools.cache
def _chromium() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def chromium() -> str:
    return need(_chromium(), "Chromium (Debian package chromium)")


def timelinejs() -> Path:
    home = Path(os.environ.get("CHRONICLE_TIMELINEJS", TIMELINEJS_HOME))
    found = home if (home / "js" / "timeline.js").is_file() else None
    return need(found, "TimelineJS (npm @knight-lab/timelinejs)")


def datasette() -> Any:
    try:
        import datasette.app
    except ImportError:
        return need(None, "Datasette (pip install -e '.[datasette]')")
    return datasette.app


def run_browser(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Chromium once, headless, with a fresh profile (for --dump-dom, --print-to-pdf)."""
    with tempfile.TemporaryDirectory(prefix="chronicle-chromium-") as profile:
        command = [chromium(), *QUIET, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)


# --- a local web server ----------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Files of one folder, without a log line per request, and no favicon asked for."""

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":  # the browser's own request: not the page's error
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while the block runs; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def serve_datasette(database: Path, metadata: Path | None = None) -> Iterator[str]:
    """``datasette serve`` on 127.0.0.1 while the block runs; yields its base URL."""
    datasette()
    with socket.socket() as probe:  # a free port, for the moment it takes to start
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "datasette", "serve", str(database),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    if metadata is not None:
        command += ["--metadata", str(metadata)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(base + "-/versions.json", process)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with _LOCAL.open(url, timeout=5):
                return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"datasette ended: {process.stderr.read().decode()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def get_json(url: str) -> Any:
    with _LOCAL.open(url, timeout=TIMEOUT) as response:
        return json.load(response)


# --- Chromium over the DevTools protocol ------------------------------------------------------


class DevToolsError(RuntimeError):
    """The browser answered a command with an error, or not at all."""


class Browser:
    """One headless Chromium, spoken to over its DevTools pipe."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="chronicle-chromium-")
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        command = [chromium(), *QUIET, f"--user-data-dir={self._profile.name}",
                   "--remote-debugging-pipe", "about:blank"]  # fmt: skip
        self.process = subprocess.Popen(  # the child reads fd 3 and writes fd 4
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, close_fds=False,
            preexec_fn=_as_fds_3_and_4(to_browser, from_browser),
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self._ids = iter(range(1, 1 << 30))
        self._answers: dict[int, queue.Queue] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        pending = b""
        with os.fdopen(self._read, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                pending += chunk
                *messages, pending = pending.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers.pop(message["id"]).put(message)
                    else:
                        self.events.put(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Run one DevTools command and return its result."""
        with self._lock:
            number = next(self._ids)
            answer: queue.Queue = queue.Queue()
            self._answers[number] = answer
            message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            os.write(self._write, json.dumps(message).encode() + b"\0")
        try:
            reply = answer.get(timeout=TIMEOUT)
        except queue.Empty:
            raise DevToolsError(f"{method}: no answer in {TIMEOUT} s") from None
        if "error" in reply:
            raise DevToolsError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def close(self) -> None:
        with contextlib.suppress(DevToolsError, OSError):
            self.send("Browser.close")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_fds_3_and_4(read_end: int, write_end: int) -> Callable[[], None]:
    """In the child: the pipe ends become fds 3 and 4, inherited across exec."""

    def arrange() -> None:
        high_read = fcntl.fcntl(read_end, fcntl.F_DUPFD_CLOEXEC, 10)
        high_write = fcntl.fcntl(write_end, fcntl.F_DUPFD_CLOEXEC, 10)
        os.dup2(high_read, 3)
        os.dup2(high_write, 4)

    return arrange


# Run by the browser before any script of the page (a page's CSP does not apply to it).
_HEAR_CSP = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));"""


class Page:
    """A tab of ``browser`` that records every uncaught exception, console error and log error."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        self.problems: list[str] = []
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": _HEAR_CSP})

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def open(self, url: str, ready: str, timeout: float = TIMEOUT) -> None:
        """Load ``url`` and wait until the JavaScript expression ``ready`` is true."""
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"document.readyState === 'complete' && !!({ready})"):
            self._drain()
            if time.monotonic() > deadline:
                raise DevToolsError(f"{url}: not ready ({ready}) in {timeout} s: {self.problems}")
            time.sleep(0.1)
        time.sleep(0.5)  # what runs just after readiness (timers, late errors) is heard too
        self._drain()

    def csp_violations(self) -> list[str]:
        """What the page's Content-Security-Policy refused so far (directive and what)."""
        return self.evaluate("window.cspViolations")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _drain(self) -> None:
        """Move the events heard so far into ``problems`` when they are errors of this page."""
        while True:
            try:
                event = self.browser.events.get_nowait()
            except queue.Empty:
                return
            if event.get("sessionId") == self.session:
                problem = _problem(event)
                if problem:
                    self.problems.append(problem)


def _problem(event: dict[str, Any]) -> str | None:
    """An error a reader's console would show, in one line; None for anything else."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        return "exception: " + details.get("exception", {}).get("description", details["text"])
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        words = (str(a.get("value", a.get("description"))) for a in params["args"])
        return "console: " + " ".join(words)
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        entry = params["entry"]
        return f"log ({entry['source']}): {entry['text']} {entry.get('url', '')}".strip()
    return None
