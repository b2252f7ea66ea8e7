"""The read-only pages over what a simulated register sent: filters, the receipt card, the shift totals, the journal
with the decoded message, and ids of another infobase that find nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from kassa_server.admin.demo import DEMO_FACTORY_NUMBER
from kassa_server.models import Receipt, Shift, SoapCall
from tests.web.conftest import Shop, sign_in
from tests.web.simulated import cycles


@pytest.fixture
def synced(shop: Shop, client: httpx.Client) -> Iterator[httpx.Client]:
    """The demo register has synced twice: it sold three receipts in an open shift."""
    cycles(shop.url, DEMO_FACTORY_NUMBER, 2, receipts_per_cycle=3, order_payment_share=0.0, return_share=0.0)
    yield client


def test_receipts_list_filters_and_card(shop: Shop, synced: httpx.Client) -> None:
    with shop.sessions()() as session:
        receipts = session.scalars(select(Receipt).order_by(Receipt.amount)).all()
        register_id = receipts[0].cash_register_id
        names = [line.product_name for line in receipts[0].lines]
    assert len(receipts) == 3
    page = synced.get(f"{shop.root}receipts")
    assert page.status_code == 200
    assert page.text.count('href="/kassa/receipts/') == 3
    cheapest = receipts[0].amount
    only = synced.get(f"{shop.root}receipts", params={"max": f"{cheapest}".replace(".", ","), "register": register_id})
    assert only.text.count('href="/kassa/receipts/') == 1
    none = synced.get(f"{shop.root}receipts", params={"from": "2099-01-01"})
    assert "Чеков нет" in none.text
    bad = synced.get(f"{shop.root}receipts", params={"min": "abc", "from": "вчера"})
    assert bad.status_code == 200
    assert "«Сумма от»: «abc» — не число" in bad.text and "«Дата с»: «вчера» — не дата" in bad.text
    card = synced.get(f"{shop.root}receipts/{receipts[0].id}")
    assert card.status_code == 200
    assert names and all(name in card.text for name in names)
    assert "Платежная карта" in card.text or "Наличные" in card.text


def test_shift_totals_add_up(shop: Shop, synced: httpx.Client) -> None:
    with shop.sessions()() as session:
        total = sum(r.amount for r in session.scalars(select(Receipt)))
        shift = session.scalars(select(Shift)).one()
    page = synced.get(f"{shop.root}shifts").text
    money = f"{total:,.2f}".replace(",", "\u202f").replace(".", ",")
    assert money in page
    assert "открыта" in page and shift.number in page
    assert synced.get(f"{shop.root}shifts", params={"open": "1"}).text.count("<tr") == 2


def test_journal_filters_and_decodes_the_message(shop: Shop, synced: httpx.Client) -> None:
    page = synced.get(f"{shop.root}journal", params={"operation": "PutFilePart"}).text
    ids = re.findall(r'href="/kassa/journal/(\d+)"', page)
    assert len(ids) == 2
    entry = synced.get(f"{shop.root}journal/{ids[0]}").text  # the newest: the receipts
    assert "Сообщение EnterpriseData в запросе" in entry
    assert "Документ.ЧекККМ" in entry
    faults = synced.get(f"{shop.root}journal", params={"outcome": "fault"}).text
    assert "Вызовов нет" in faults


def test_ids_of_another_infobase_are_not_found(shop: Shop, synced: httpx.Client) -> None:
    with shop.sessions()() as session:
        receipt_id = session.scalars(select(Receipt.id)).first()
        call_id = session.scalars(select(SoapCall.id)).first()
    with httpx.Client() as stranger:
        assert sign_in(stranger, shop, login="Чужой", password="other", base="other").status_code == 303
        assert stranger.get(f"{shop.url}/other/receipts/{receipt_id}").status_code == 404
        assert stranger.get(f"{shop.url}/other/journal/{call_id}").status_code == 404
        assert "Чеков нет" in stranger.get(f"{shop.url}/other/receipts").text
        assert "Вызовов нет" in stranger.get(f"{shop.url}/other/journal").text


def test_sales_report_by_day_and_goods(shop: Shop, synced: httpx.Client) -> None:
    with shop.sessions()() as session:
        receipts = session.scalars(select(Receipt)).all()
        total = sum(r.amount for r in receipts)
        day = receipts[0].date.date()
        names = {line.product_name for r in receipts for line in r.lines}
    page = synced.get(f"{shop.root}reports/sales", params={"from": day.isoformat(), "to": day.isoformat()}).text
    money = f"{total:,.2f}".replace(",", "\u202f").replace(".", ",")
    assert f"Выручка по дням: {money}" in page
    assert page.count("<rect ") == 1  # one day, one bar
    assert all(name in page for name in names)
    reversed_period = synced.get(f"{shop.root}reports/sales", params={"from": "2026-12-31", "to": "2026-01-01"})
    assert "Начало периода позже его конца." in reversed_period.text
    assert "Внесений и выемок нет." in synced.get(f"{shop.root}cash-operations").text
