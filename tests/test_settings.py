from __future__ import annotations

import pytest

from kassa_server.errors import ConfigError
from kassa_server.settings import Settings


def test_from_env_reads_prefixed_nested_and_cast_values() -> None:
    settings = Settings.from_env(
        {
            "KASSA_DATABASE_URL": "sqlite:///x.db",
            "KASSA_PORT": "9000",
            "KASSA_DEBUG": "yes",
            "KASSA_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "KASSA_LIMITS_MAX_REQUEST_BODY": "1024",
            "KASSA_PROTOCOL_INITIAL_FORMAT_VERSION": "1.21",
            "UNRELATED": "1",
        }
    )
    assert settings.database_url == "sqlite:///x.db"
    assert settings.port == 9000
    assert settings.debug is True
    assert settings.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert settings.limits.max_request_body == 1024
    assert settings.protocol.initial_format_version == "1.21"


def test_overrides_win_over_environment_when_given() -> None:
    env = {"KASSA_DATABASE_URL": "sqlite:///env.db"}
    assert Settings.from_env(env, database_url="sqlite:///flag.db").database_url == "sqlite:///flag.db"
    assert Settings.from_env(env, database_url=None).database_url == "sqlite:///env.db"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KASSA_PORT", "eighty"),
        ("KASSA_DEBUG", "maybe"),
        ("KASSA_PROTOCOL_ACKNOWLEDGEMENT_MODE", "sometimes"),
        ("KASSA_PROTOCOL_QR_NODE_FIELD", "uuid"),
        ("KASSA_PROTOCOL_INITIAL_FORMAT_VERSION", "1.9"),
        ("KASSA_ZIP_DEFLATER", "gzip"),
        ("KASSA_LIMITS_HEAVY_CALLS", "-1"),
        ("KASSA_LIMITS_HEAVY_CALL_WAIT_SECONDS", "-5"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_journal_retention_from_env_and_checked() -> None:
    settings = Settings.from_env({"KASSA_JOURNAL_MAX_ROWS": "500", "KASSA_JOURNAL_MAX_AGE_DAYS": "0"})
    assert (settings.journal_max_rows, settings.journal_max_age_days) == (500, 0)
    for name in ("KASSA_JOURNAL_MAX_ROWS", "KASSA_JOURNAL_MAX_AGE_DAYS", "KASSA_JOURNAL_PRUNE_SECONDS"):
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: "-1"})


def test_the_test_only_crash_point_is_read_and_checked() -> None:
    from kassa_server import crashpoints

    assert Settings.from_env({"KASSA_TEST_CRASH_POINT": "import-committed:2"}).test_crash_point == "import-committed:2"
    with pytest.raises(ConfigError):
        crashpoints.arm("nowhere")
    with pytest.raises(ConfigError):
        crashpoints.arm("part-stored:x")
    crashpoints.arm("")  # disarmed: reaching a point does nothing
    crashpoints.reached("part-stored")
