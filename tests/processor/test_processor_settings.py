"""Settings: explicit arguments beat the environment; missing ones are named together."""

import pytest

from tap_processor import env
from tap_processor.errors import ConfigurationError
from tap_processor.settings import ProcessorSettings

ENVIRON = {
    env.TABLE_NAME: "env-table",
    env.ENVIRONMENT: "env-environment",
    env.DLQ_URL: "https://sqs/env",
    env.BUCKET_NAMES: "data-a, data-b",
    env.LOG_LEVEL: "warning",
}


def test_values_come_from_the_environment_variables() -> None:
    assert ProcessorSettings.resolve(environ=ENVIRON) == ProcessorSettings(
        table_name="env-table",
        environment="env-environment",
        dlq_url="https://sqs/env",
        buckets=frozenset({"data-a", "data-b"}),
        log_level="WARNING",
    )


def test_explicit_arguments_beat_the_environment() -> None:
    settings = ProcessorSettings.resolve(
        table_name="arg-table",
        environment="arg-env",
        dlq_url="https://sqs/arg",
        buckets=["arg-bucket"],
        environ=ENVIRON,
    )
    assert (settings.table_name, settings.environment, settings.dlq_url, settings.buckets) == (
        "arg-table",
        "arg-env",
        "https://sqs/arg",
        frozenset({"arg-bucket"}),
    )


def test_every_missing_setting_is_named_in_one_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ProcessorSettings.resolve(environ={env.TABLE_NAME: "t", env.ENVIRONMENT: "  "})
    assert str(raised.value) == "missing required setting(s): ENVIRONMENT, DLQ_URL, BUCKET_NAMES"


def test_a_bucket_list_of_only_commas_is_missing() -> None:
    with pytest.raises(ConfigurationError, match="BUCKET_NAMES"):
        ProcessorSettings.resolve(environ={**ENVIRON, env.BUCKET_NAMES: " , ,"})


def test_an_empty_explicit_argument_does_not_silently_fall_back() -> None:
    with pytest.raises(ConfigurationError, match="TABLE_NAME"):
        ProcessorSettings.resolve(table_name="", environ=ENVIRON)


def test_unknown_log_level_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="LOUD"):
        ProcessorSettings.resolve(environ={**ENVIRON, env.LOG_LEVEL: "loud"})


def test_environment_variable_names_are_the_documented_contract() -> None:
    assert (env.TABLE_NAME, env.ENVIRONMENT, env.DLQ_URL, env.BUCKET_NAMES) == (
        "TABLE_NAME",
        "ENVIRONMENT",
        "DLQ_URL",
        "BUCKET_NAMES",
    )
