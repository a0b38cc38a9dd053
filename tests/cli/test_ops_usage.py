"""The day-2 commands refuse options that cannot work: one line, exit 2, before anything is read.

Every case runs with `-C` pointing at a directory without a project: a refusal that came after
resolving the stack would be a config error instead of the line asserted here.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.cli.options import endpoint_url_problem, key_prefix_problem, role_arn_problem

runner = CliRunner()
NOWHERE = "/nonexistent/project"
COMMANDS = ("backfill", "reconcile", "redrive")
ROLE = "arn:aws:iam::111122223333:role/tap-operator"


def _invoke(command: str, *args: str) -> tuple[int, list[str]]:
    """Exit code and stderr lines of `tap COMMAND --stack dev -C NOWHERE ARGS`."""
    extra = ["--queue", "delivery"] if command == "redrive" else []
    result = runner.invoke(app, [command, "--stack", "dev", "-C", NOWHERE, *extra, *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    return result.exit_code, result.stderr.splitlines()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("url", "line"),
    [
        (
            "http://127.0.0.1:99999",
            "'http://127.0.0.1:99999' has port '99999'; a port is a number from 1 to 65535",
        ),
        (
            "http://127.0.0.1:abc",
            "'http://127.0.0.1:abc' has port 'abc'; a port is a number from 1 to 65535",
        ),
        (
            "http://127.0.0.1:0",
            "'http://127.0.0.1:0' has port '0'; a port is a number from 1 to 65535",
        ),
        (
            "http://[::1",
            "'http://[::1' is not a URL (Invalid IPv6 URL); "
            "expected an http(s) URL such as http://127.0.0.1:4566",
        ),
        (
            "http://a b:80",
            "'http://a b:80' has no valid host name; "
            "expected an http(s) URL such as http://127.0.0.1:4566",
        ),
    ],
)
def test_an_endpoint_url_botocore_cannot_use_is_one_line_and_exit_2(
    command: str, url: str, line: str
) -> None:
    code, lines = _invoke(command, "--endpoint-url", url)

    assert code == 2
    assert lines == [f"error: invalid --endpoint-url: {line}"]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:4566", "https://s3.amazonaws.com", "http://[::1]:4566/", "http://h"]
)
def test_an_endpoint_url_botocore_can_use_is_accepted(url: str) -> None:
    assert endpoint_url_problem(url) is None


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("endpoint", [[], ["--endpoint-url", "http://127.0.0.1:4566"]])
def test_a_role_arn_that_is_no_role_arn_is_refused_with_or_without_an_endpoint(
    command: str, endpoint: list[str]
) -> None:
    code, lines = _invoke(command, *endpoint, "--role-arn", "not-an-arn")

    assert code == 2
    assert lines == [
        "error: invalid --role-arn: 'not-an-arn' is not an IAM role ARN "
        "(arn:aws:iam::<account>:role/<name>)"
    ]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111122223333:user/tap",
        "arn:aws:iam::1111:role/tap",
        "arn:aws:s3:::tap",
        "arn:aws:iam::111122223333:role/",
    ],
)
def test_only_an_iam_role_arn_is_a_role_arn(arn: str) -> None:
    assert (
        role_arn_problem(arn)
        == f"{arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
    )
    assert role_arn_problem(ROLE) is None
    assert role_arn_problem("arn:aws-cn:iam::111122223333:role/path/to/tap-op") is None


@pytest.mark.parametrize("command", COMMANDS)
def test_a_role_arn_beside_an_endpoint_url_is_refused_not_ignored(command: str) -> None:
    code, lines = _invoke(command, "--endpoint-url", "http://127.0.0.1:4566", "--role-arn", ROLE)

    assert code == 2
    assert lines == [
        "error: --role-arn and --endpoint-url do not go together: a local stack is acted on with "
        "the credentials in the environment (those `tap local --keep-running` printed), and no "
        "role is assumed there"
    ]


@pytest.mark.parametrize("command", ["backfill", "reconcile"])
def test_a_prefix_that_is_not_utf8_is_refused_before_anything_is_listed(command: str) -> None:
    """`--prefix $'\\xff'`: Python keeps the byte the shell passed as the surrogate U+DCFF."""
    code, lines = _invoke(command, "--prefix", "\udcff")

    assert code == 2
    assert lines == ["error: invalid --prefix: b'\\xff' is not UTF-8 text, and S3 keys are"]


@pytest.mark.parametrize("command", ["backfill", "reconcile"])
def test_a_prefix_longer_than_a_key_is_refused(command: str) -> None:
    code, lines = _invoke(command, "--prefix", "é" * 513)

    assert code == 2
    assert lines == [
        "error: invalid --prefix: it is 1026 bytes of UTF-8; an S3 key has at most 1024"
    ]
    assert key_prefix_problem("é" * 512) is None


def test_an_inventory_url_that_is_not_utf8_is_refused() -> None:
    code, lines = _invoke("reconcile", "--inventory", "s3://inventory/\udcfe/manifest.json")

    assert code == 2
    assert lines == [
        "error: invalid --inventory: b's3://inventory/\\xfe/manifest.json' is not UTF-8 text, "
        "and S3 keys are"
    ]
