"""An endpoint that is not AWS, refuses connections, or never answers: one line, exit 2, and a
wait bounded by the stated timeouts, for every day-2 command.

Each server is real and on 127.0.0.1: Python's `http.server` (a web server, not AWS), a socket
that accepts connections and never answers, a port nothing listens on. The silent endpoint is
given a tiny `--timeout`; the test judges the outcome and the message, never the elapsed time.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.local.emulator import free_port
from tap.ops.session import Timeouts
from tests.support.paths import REPO_ROOT, STACK_FILES

pytestmark = pytest.mark.slow  # resolves the dev stack (a synthesis, then its cache)

COMMANDS = ("backfill", "reconcile", "redrive")
ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAHOSTILEENDPOINTS",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped stack files: its graph cache is shared by this module's runs."""
    directory = tmp_path_factory.mktemp("project")
    for name in STACK_FILES:
        shutil.copy(REPO_ROOT / name, directory / name)
    return directory


def _tap(project: Path, command: str, endpoint: str, *args: str) -> tuple[int, list[str]]:
    extra = ["--queue", "delivery"] if command == "redrive" else []
    result = CliRunner().invoke(
        app,
        [command, "--stack", "dev", "-C", str(project), "--endpoint-url", endpoint, *extra, *args],
        env=ENV,
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr.splitlines()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    """`python -m http.server`: answers every POST with 501 and an HTML page."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel completes them from the backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.mark.parametrize("command", COMMANDS)
def test_an_endpoint_that_is_not_aws_is_refused_in_one_line(
    command: str, project: Path, web_server: str
) -> None:
    code, lines = _tap(project, command, web_server)

    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(
        f"error: refusing to act: {web_server} does not answer as AWS does (Unable to parse "
        "response"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_an_endpoint_that_never_answers_is_given_up_after_the_stated_wait(
    command: str, project: Path, silent_server: str
) -> None:
    code, lines = _tap(project, command, silent_server, "--timeout", "0.2")

    assert code == 2
    assert lines == [
        f"error: refusing to act: no answer from {silent_server} within 0.4 s (2 attempts of 0.2 s)"
    ]


def test_an_endpoint_nothing_listens_on_is_refused_in_one_line(project: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"

    code, lines = _tap(project, "reconcile", endpoint, "--timeout", "0.2")

    assert code == 2
    assert lines == [
        f"error: refusing to act: cannot connect to {endpoint} (Could not connect to the "
        f'endpoint URL: "{endpoint}/")'
    ]


def test_the_account_proof_waits_less_than_any_other_request() -> None:
    """The proof answers in milliseconds; a Scan or a listing page can take far longer."""
    requests, probe = Timeouts.for_requests(), Timeouts.for_probe()

    assert (requests.connect, requests.read, requests.attempts) == (5.0, 60.0, 3)
    assert (probe.connect, probe.read, probe.attempts) == (5.0, 10.0, 2)
    assert probe.stated() == "20 s (2 attempts of 10 s)"
    assert Timeouts.for_probe(0.2) == Timeouts(0.2, 0.2, 2)
    assert Timeouts.for_requests(120) == Timeouts(5.0, 120, 3)
