"""A message number received before comes back (issue 14, item 12): the same message is a duplicate, as in SSL; a
different content under that number is an import error the device sees, never a silent "received before"."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from kassa_server import enterprisedata as ed
from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, seed_demo
from kassa_server.exchange.errors import MessageNumberReused
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.exchange.numbering import DUPLICATE_WARNING
from kassa_server.models import CashRegister, ExchangeNode, Infobase, Product, Receipt
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.services import faults
from kassa_server.settings import Settings
from tests.exchange import device_messages as dm

NODE = DEMO_FACTORY_NUMBER


@pytest.fixture
def gateway(db_url: str) -> Iterator[tuple[DatabaseExchangeGateway, ed.CashRegister, ed.Item, str]]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
        own = session.scalars(select(Infobase)).one().node_code
        register = session.scalars(select(CashRegister).where(CashRegister.factory_number == NODE)).one()
        org = ed.Organization(
            ref=register.organization.ref, name=register.organization.name, legal_form=ed.LegalForm.INDIVIDUAL
        )
        product = session.scalars(select(Product).where(Product.name == "Молоко 3,2% 1 л")).one()
        key = dm.register_key(register.ref, NODE, org)
        item = ed.Item(ref=product.ref, name=product.name)
    yield DatabaseExchangeGateway(sessions, Settings(database_url=db_url)), key, item, own
    engine.dispose()


def _message(own: str, objects: list[object]) -> bytes:
    head = dm.header("1.21", from_code=NODE, to_code=own, message_no=1, received_no=0)
    return dm.message(head, objects).getvalue()


def test_a_reused_number_with_new_receipts_is_refused_and_the_resent_message_is_a_duplicate(
    db_url: str, gateway: tuple[DatabaseExchangeGateway, ed.CashRegister, ed.Item, str]
) -> None:
    exchange, register, milk, own = gateway
    first = dm.sale(register, milk, amount="89.90")
    second = dm.sale(register, milk, amount="10.00")
    message = _message(own, [first])
    assert exchange.import_message("kassa", dm.PLAN, NODE, io.BytesIO(message)).warnings == ()
    # the device resends the very same message (it never heard Completed): a duplicate, as SSL answers it
    assert exchange.import_message("kassa", dm.PLAN, NODE, io.BytesIO(message)).warnings == (DUPLICATE_WARNING,)
    # the same number with another receipt: before, "received before" and the receipt was lost; now an error
    with pytest.raises(MessageNumberReused) as caught:
        exchange.import_message("kassa", dm.PLAN, NODE, io.BytesIO(_message(own, [first, second])))
    assert faults.fault_text(caught.value) == faults.message_number_reused(1)
    with exchange.sessions() as session:
        assert set(session.scalars(select(Receipt.ref))) == {first.ref}
        node = session.scalars(select(ExchangeNode).where(ExchangeNode.code == NODE)).one()
        assert node.received_no == 1 and len(node.received_digest) == 64
