"""The device's numbering, acknowledgements, trade and resume, driven through a scripted flow.

The flow double only hands over the server's message files written by the test and captures the uploads: there is
no server logic here. The real exchange against our server is in tests/e2e/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from kassa_server.simulator import ConnectionParams, Device, DeviceConfig
from kassa_server.simulator.payload import unzip_message, zip_message
from kassa_server.simulator.reader import read_message
from kassa_server.simulator.state import load_state

from . import server_messages as sm

FACTORY = "0000000001012345"
SERVER_NODE = "b7e2f0c4-1d3a-4e59-8a6b-0c2d4e6f8a10"


class ScriptedFlow:
    service = "EnterpriseDataExchange_1_0_1_1"

    def __init__(self) -> None:
        self.downloads: list[bytes] = []
        self.uploads: list[bytes] = []
        self.checks = 0

    def check(self) -> None:
        self.checks += 1

    def receive(self) -> bytes:
        return zip_message(self.downloads.pop(0))

    def send(self, payload: bytes) -> None:
        self.uploads.append(unzip_message(payload))

    def close(self) -> None:
        pass


def _device(tmp_path: Path | None = None, **options: object) -> tuple[Device, ScriptedFlow]:
    params = ConnectionParams("127.0.0.1:1", "kassa", False, "Кассир", "pw", FACTORY)
    config = DeviceConfig(
        params=params,
        state_path=tmp_path / "device.json" if tmp_path else None,
        seed=1,
        **options,  # type: ignore[arg-type]
    )
    device = Device(config)
    flow = ScriptedFlow()
    device._flow = flow
    return device, flow


def _upload(flow: ScriptedFlow, index: int = -1) -> etree._Element:
    return etree.fromstring(flow.uploads[index].removeprefix(b"\xef\xbb\xbf"))


def _confirmation(upload: etree._Element) -> dict[str, str]:
    return {etree.QName(e).localname: e.text for e in upload[0][2]}


def test_first_sync_downloads_catalogue_and_acknowledges_in_negotiated_version() -> None:
    device, flow = _device()
    flow.downloads.append(sm.message("1.8", sm.objects("1.8", FACTORY), message_no=1))
    result = device.sync()
    assert result.message_no == 1 and result.version == "1.21"
    state = device.state
    assert state.received_no == 1 and state.sent_no == 1 and state.server_node == SERVER_NODE
    assert state.register is not None and state.register["РегистрационныйНомер"] == FACTORY
    assert {item["key"]["Наименование"]: item["price"] for item in state.items.values()} == {
        "Кофе зерновой 250 г": "350",
        "Чай": "120.50",
    }
    assert state.items["6f0c1a60-3b7d-41ef-9a1c-0242ac120002"]["barcodes"] == ["4600000000017"]
    assert state.orders[sm.ORDER_REF]["state"] == "Подтвержден"
    upload = _upload(flow)
    assert upload[0][0].text.endswith("/1.21")
    assert _confirmation(upload) == {
        "ExchangePlan": "СинхронизацияДанныхЧерезУниверсальныйФормат",
        "To": SERVER_NODE,
        "From": FACTORY,
        "MessageNo": "1",
        "ReceivedNo": "1",
    }
    assert len(upload[1]) == 0  # nothing to send yet: an empty Body that still acknowledges message 1


def test_trade_uploads_receipts_until_the_server_acknowledges_them(
    schema_for: Callable[[str], etree.XMLSchema],
) -> None:
    device, flow = _device(receipts_per_cycle=3, return_share=1.0, order_payment_share=1.0, shift_cycles=2)
    flow.downloads.append(sm.message("1.8", sm.objects("1.8", FACTORY), message_no=1))
    device.sync()

    device.trade()
    kinds = [entry.document["kind"] for entry in device.state.outbox]
    assert kinds[0] == "shift_opening"
    assert kinds.count("receipt") == 5  # three sales, one return, one order payment
    assert kinds[-1] == "order_state" and device.state.shift_open
    flow.downloads.append(sm.message("1.21", [], message_no=2, received_no=1))
    device.sync()
    assert device.state.receipts_sent == 5 and device.state.receipts_confirmed == 0
    upload = _upload(flow)
    assert _confirmation(upload)["MessageNo"] == "2" and _confirmation(upload)["ReceivedNo"] == "2"
    names = [etree.QName(e).localname for e in upload[1]]
    assert names.count("Документ.ЧекККМ") == 5 and names[0] == "Документ.ОткрытиеКассовойСмены"
    for element in upload[1]:
        schema_for("1.21").assertValid(element)
    receipts = [e for e in upload[1] if etree.QName(e).localname == "Документ.ЧекККМ"]
    assert sum(1 for r in receipts if r.find("{*}Основание") is not None) == 1
    assert sum(1 for r in receipts if r.find("{*}ЗаказКлиента") is not None) == 1
    assert device.state.orders[sm.ORDER_REF]["paid"]

    # the server has not imported message 2 yet: everything is sent again in message 3
    device.trade()  # second cycle of the shift: the shift is closed
    assert not device.state.shift_open
    flow.downloads.append(sm.message("1.21", [], message_no=3, received_no=1))
    device.sync()
    upload = _upload(flow)
    names = [etree.QName(e).localname for e in upload[1]]
    assert names.count("Документ.ЧекККМ") >= 8 and names[-1] == "Документ.ЗакрытиеКассовойСмены"
    assert device.state.receipts_confirmed == 0

    # ReceivedNo 2 confirms what message 2 carried; the documents first sent in message 3 stay
    flow.downloads.append(sm.message("1.21", [], message_no=4, received_no=2))
    device.sync()
    assert device.state.receipts_confirmed == 5
    assert all(entry.first_sent_in == 3 for entry in device.state.outbox)
    flow.downloads.append(sm.message("1.21", [], message_no=5, received_no=4))
    device.sync()
    assert device.state.receipts_confirmed == device.state.receipts_sent and not device.state.outbox
    assert len(_upload(flow)[1]) == 0


def test_a_duplicate_message_is_skipped_and_its_acknowledgement_ignored() -> None:
    device, flow = _device(receipts_per_cycle=1, return_share=0, order_payment_share=0)
    flow.downloads.append(sm.message("1.21", sm.objects("1.21", FACTORY), message_no=5))
    device.sync()
    device.trade()
    flow.downloads.append(sm.message("1.21", [], message_no=6, received_no=1))
    device.sync()
    sent = device.state.sent_no
    flow.downloads.append(
        sm.message(
            "1.21",
            [sm.deletion("НоменклатураСсылка", "6f0c1a60-3b7d-41ef-9a1c-0242ac120002")],
            message_no=6,
            received_no=sent,
        )
    )
    device.sync()
    assert device.state.received_no == 6
    assert device.state.receipts_confirmed == 0  # ReceivedNo of a duplicate is ignored
    assert "6f0c1a60-3b7d-41ef-9a1c-0242ac120002" in device.state.items  # its Body too


def test_deletions_and_final_order_states() -> None:
    device, flow = _device()
    flow.downloads.append(sm.message("1.21", sm.objects("1.21", FACTORY, order_state="Отменен"), message_no=1))
    device.sync()
    assert device.payable_orders() == []
    flow.downloads.append(
        sm.message(
            "1.21",
            [
                sm.deletion("НоменклатураСсылка", "6f0c1a60-3b7d-41ef-9a1c-0242ac120002"),
                sm.deletion("ЗаказКлиентаСсылка", sm.ORDER_REF),
            ],
            message_no=2,
            received_no=1,
        )
    )
    device.sync()
    assert list(device.state.items) == ["7f0c1a60-3b7d-41ef-9a1c-0242ac120002"]
    assert device.state.orders == {}


def test_acknowledgement_beyond_what_was_sent_is_clamped() -> None:
    device, flow = _device(receipts_per_cycle=1, return_share=0, order_payment_share=0)
    flow.downloads.append(sm.message("1.21", sm.objects("1.21", FACTORY), message_no=1, received_no=99))
    device.sync()
    device.trade()
    flow.downloads.append(sm.message("1.21", [], message_no=2, received_no=1))
    device.sync()  # the receipts go out in message 2
    assert device.state.receipts_sent == 1 and device.state.receipts_confirmed == 0


def test_no_common_version_is_an_error() -> None:
    device, flow = _device()
    flow.downloads.append(sm.message("1.7", [], versions=("1.7",)))
    with pytest.raises(Exception, match="no common EnterpriseData version"):
        device.sync()


def test_state_file_resumes_where_the_device_left_off(tmp_path: Path) -> None:
    device, flow = _device(tmp_path, receipts_per_cycle=2, return_share=0, order_payment_share=0, shift_cycles=10)
    flow.downloads.append(sm.message("1.8", sm.objects("1.8", FACTORY), message_no=1))
    device.sync()
    device.trade()
    flow.downloads.append(sm.message("1.21", [], message_no=2, received_no=1))
    device.sync()
    device.trade()
    device.save()
    before = device.state

    resumed, flow2 = _device(tmp_path, receipts_per_cycle=2, return_share=0, order_payment_share=0, shift_cycles=10)
    assert resumed.resumed
    assert resumed.state == before
    assert resumed.state.shift_open and resumed.state.shift_number == 1
    assert (resumed.state.sent_no, resumed.state.received_no) == (2, 2)
    flow2.downloads.append(sm.message("1.21", [], message_no=3, received_no=2))
    resumed.sync()
    assert _confirmation(_upload(flow2))["MessageNo"] == "3"
    assert resumed.state.receipts_confirmed == 2
    assert load_state(tmp_path / "device.json", FACTORY).receipts_sent == 4
    # the uploaded message reads back with the simulator's own reader
    assert read_message(flow2.uploads[-1]).header.message_no == 3


def test_state_file_of_another_device_is_refused(tmp_path: Path) -> None:
    device, _ = _device(tmp_path)
    device.save()
    with pytest.raises(ValueError, match="belongs to device"):
        load_state(tmp_path / "device.json", "another")
