"""Every error tap raises on purpose is a TapError that carries its exit code and its line."""

from __future__ import annotations

import pytest
import typer

from tap.cli.output import user_errors
from tap.config import ConfigError, ConfigProblem, ConfigReadError
from tap.errors import TapError
from tap.local import EmulatorError, InvalidOptionsError, LocalRunError
from tap.packaging import PackagingError, SourceError
from tap.rules import SuppressionError
from tap.synth import GraphFormatError, SynthError, UnknownResourceTypeError


@pytest.mark.parametrize(
    ("error", "code", "lines"),
    [
        (
            ConfigReadError("Pulumi.dev.yaml: cannot read"),
            2,
            ["error: Pulumi.dev.yaml: cannot read"],
        ),
        (SynthError("boom"), 1, ["error: synthesis failed: boom"]),
        (
            UnknownResourceTypeError("aws:x:Z", "z"),
            1,
            ["error: synthesis failed: fake AWS provider does not know resource type aws:x:Z (z)"],
        ),
        (GraphFormatError("g.json: not JSON"), 2, ["error: g.json: not JSON"]),
        (PackagingError("no lock"), 1, ["error: packaging failed: no lock"]),
        (SourceError("no handler"), 1, ["error: packaging failed: no handler"]),
        (LocalRunError("emulator gone"), 1, ["error: local run failed: emulator gone"]),
        (EmulatorError("no port"), 1, ["error: local run failed: no port"]),
        (InvalidOptionsError("--objects must be >= 1"), 2, ["error: --objects must be >= 1"]),
        (
            SuppressionError(["a is refused", "b is refused"]),
            2,
            ["✗ a is refused", "✗ b is refused", "error: 2 suppression(s) refused"],
        ),
        (
            ConfigError([ConfigProblem("dev", "region", "bad")], ("dev", "prod")),
            1,
            ["✗ dev: region: bad", "1 problem(s) in 1 of 2 stacks (dev, prod)"],
        ),
        (
            FileNotFoundError(2, "No such file or directory", "x.json"),
            2,
            ["error: x.json: No such file or directory"],
        ),
    ],
)
def test_each_error_is_one_line_and_its_exit_code(
    error: Exception, code: int, lines: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as exited, user_errors():
        raise error

    assert exited.value.exit_code == code
    captured = capsys.readouterr()
    assert captured.err.splitlines() == lines
    assert captured.out == ""


@pytest.mark.parametrize(
    "error_type",
    [
        ConfigError,
        ConfigReadError,
        SynthError,
        GraphFormatError,
        PackagingError,
        SuppressionError,
        LocalRunError,
        InvalidOptionsError,
    ],
)
def test_every_root_error_is_a_tap_error(error_type: type[Exception]) -> None:
    assert issubclass(error_type, TapError)


def test_an_unexpected_error_is_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError), user_errors():
        _ = 1 / 0


@pytest.mark.parametrize("command", ["backfill", "reconcile", "redrive"])
@pytest.mark.parametrize("value", ["--json", "127.0.0.1:4566", "ftp://127.0.0.1", "http://"])
def test_an_endpoint_url_that_is_no_url_is_a_usage_error(command: str, value: str) -> None:
    """Given no value, `--endpoint-url --json` takes `--json` as the URL; botocore would raise."""
    from typer.testing import CliRunner

    from tap.cli.app import app

    args = [command, "--stack", "dev", "--endpoint-url", value]
    if command == "redrive":
        args += ["--queue", "delivery"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "expected an http(s) URL such as http://127.0.0.1:4566" in result.stderr
    assert repr(value) in result.stderr
