"""A DTD is rejected wherever it stands in the prolog of an exchange message (issue 14 §11), and message numbers
beyond 64 bits are a format error, not a database failure (§16).

Before: a DOCTYPE after a >64 KiB comment was imported; hidden behind a processing instruction it raised a schema
error (a generic 500); ``MessageNo`` beyond int64 reached the database (a generic 500).
"""

from __future__ import annotations

import io

import pytest

from kassa_server.enterprisedata import (
    DtdForbidden,
    EntitiesForbidden,
    EnvelopeError,
    FormatError,
    UnsafeXml,
    XmlSyntax,
    read_message,
)
from tests.enterprisedata.test_reader import HEAD, ITEM_18

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
DTD = '<!DOCTYPE Message [<!ENTITY e "x">]>'


def message(prolog: str, head: str = HEAD, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO((prolog + head.format(v="1.8") + ITEM_18 + "</Body></Message>").encode(encoding))


HIDDEN = {
    "after-a-70k-comment": DECLARATION + "<!--" + "c" * 70_000 + "-->" + DTD,
    "after-a-2m-comment": DECLARATION + "<!--" + "-c" * 1_000_000 + "-->" + DTD,
    "after-many-comments": DECLARATION + "<!-- c -->" * 10_000 + DTD,
    "behind-a-pi": DECLARATION + "<?pi <!-- ?>" + DTD + "<!-- -->",
    "behind-a-pi-with-gt": DECLARATION + '<?pi a="->" ?>' + DTD,
    "after-pis-and-space": DECLARATION + "\n<?a?>\n<?b c?>\n\t" + DTD,
    "after-a-bom": "\ufeff" + DECLARATION + "<!---->" + DTD,
}


@pytest.mark.parametrize("name", list(HIDDEN))
def test_a_dtd_anywhere_in_the_prolog_is_rejected(name: str) -> None:
    with pytest.raises(UnsafeXml):
        list(read_message(message(HIDDEN[name])))


def test_a_dtd_in_a_utf16_prolog_is_rejected() -> None:
    prolog = '<?xml version="1.0" encoding="UTF-16"?>' + DTD
    with pytest.raises(DtdForbidden):
        list(read_message(message(prolog, encoding="utf-16")))


def test_entities_behind_a_comment_are_named() -> None:
    with pytest.raises(EntitiesForbidden):
        list(read_message(message(DECLARATION + "<!--" + "c" * 70_000 + "-->" + DTD)))


def test_prologs_without_a_dtd_still_read() -> None:
    for prolog in (DECLARATION, DECLARATION + "<!--" + "c" * 70_000 + "-->", DECLARATION + "<?pi x?><!-- a -->\n"):
        assert len(list(read_message(message(prolog)))) == 1


def test_an_endless_processing_instruction_is_a_syntax_error() -> None:
    with pytest.raises(XmlSyntax):
        list(read_message(io.BytesIO((DECLARATION + "<?pi " + "x" * 200_000).encode())))


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**40])
@pytest.mark.parametrize("field", ["MessageNo", "ReceivedNo"])
def test_message_numbers_beyond_64_bits_are_format_errors(field: str, number: int) -> None:
    head = HEAD.replace(f"<msg:{field}>", f"<msg:{field}>{number}<!--").replace(f"</msg:{field}>", f"--></msg:{field}>")
    with pytest.raises(EnvelopeError):
        read_message(message(DECLARATION, head))
    assert issubclass(EnvelopeError, FormatError)


def test_the_largest_64_bit_message_number_is_read() -> None:
    head = HEAD.replace("<msg:MessageNo>3</msg:MessageNo>", f"<msg:MessageNo>{2**63 - 1}</msg:MessageNo>")
    assert read_message(message(DECLARATION, head)).header.message_no == 2**63 - 1
