from __future__ import annotations

from kassa_server.models.infobases import hash_password, verify_password


def test_scrypt_hash_verifies_only_the_right_password_and_never_stores_it() -> None:
    encoded = hash_password("пароль")
    assert "пароль" not in encoded
    assert encoded.startswith("scrypt$")
    assert verify_password("пароль", encoded)
    assert not verify_password("Пароль", encoded)
    assert hash_password("пароль") != encoded  # salted
    assert not verify_password("x", "md5$abc")
