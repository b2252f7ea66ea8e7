from __future__ import annotations

import base64

import pytest

from kassa_server.simulator import ConnectionParams, QrCodeError, parse_qr
from kassa_server.simulator.soap import basic_authorization


def test_spec_example_qr_string() -> None:
    params = parse_qr("https://kassa.example.ru/kassa;0000000001012345;0JrQsNGB0YHQuNGA;", "secret")
    assert params == ConnectionParams(
        server="kassa.example.ru",
        base="kassa",
        https=True,
        user="Кассир",
        password="secret",
        application_id="0000000001012345",
    )
    assert params.service_url("EnterpriseDataExchange_1_0_1_1") == (
        "https://kassa.example.ru/kassa/ws/EnterpriseDataExchange_1_0_1_1"
    )
    assert params.wsdl_url("Exchange_2_0_1_6") == "https://kassa.example.ru/kassa/ws/Exchange_2_0_1_6?wsdl"


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8000/Kassa;42;0JrQsNGB0YHQuNGA",  # no trailing ';'
        "http://127.0.0.1:8000/Kassa/;42;0JrQsNGB0YHQuNGA;",  # trailing '/' in the URL
        "  http://127.0.0.1:8000/Kassa;42;0JrQ sNGB\n0YHQuNGA;\n",  # whitespace and line breaks inside Base64
        "http://127.0.0.1:8000/Kassa;42;Кассир",  # plain login (the 1С:РМК variant)
    ],
)
def test_tolerated_variants(text: str) -> None:
    params = parse_qr(text, "pw")
    assert (params.server, params.base, params.https, params.user, params.application_id) == (
        "127.0.0.1:8000",
        "Kassa",
        False,
        "Кассир",
        "42",
    )


def test_plain_ascii_login_that_is_not_base64_is_kept() -> None:
    assert parse_qr("http://h/b;1;admin;", "").user == "admin"


def test_base64_of_non_printable_bytes_is_taken_as_plain_login() -> None:
    field = base64.b64encode(b"\x00\x01\x02").decode()
    assert parse_qr(f"http://h/b;1;{field};", "").user == field


def test_multi_segment_base_and_case_is_kept() -> None:
    params = parse_qr("https://1cfresh.com/a/kassa/1234;77;YWRtaW4=;", "")
    assert params.base == "a/kassa/1234"
    assert params.user == "admin"
    assert params.service_url("InterfaceVersion") == "https://1cfresh.com/a/kassa/1234/ws/InterfaceVersion"


@pytest.mark.parametrize(
    "text",
    [
        "http://h/b;1",  # two fields
        "http://h/b;1;x;y;",  # four fields
        "ftp://h/b;1;YWRtaW4=;",  # not http
        "http://h/;1;YWRtaW4=;",  # no base
        "http://h/b;;YWRtaW4=;",  # no factory number
        "http://h/b;1;;",  # no login
    ],
)
def test_malformed_qr_strings_are_rejected(text: str) -> None:
    with pytest.raises(QrCodeError):
        parse_qr(text, "")


def test_password_never_appears_in_repr() -> None:
    params = parse_qr("http://h/b;1;YWRtaW4=;", "s3cr3t-value")
    assert "s3cr3t-value" not in repr(params)


def test_basic_credentials_are_utf8() -> None:
    header = basic_authorization("Кассир", "пароль")
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]).decode("utf-8") == "Кассир:пароль"
