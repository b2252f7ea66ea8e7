"""``ed convert``'s library: a message rewritten in every other version validates, and what cannot be carried is
named (whole objects, values a version cannot express, properties kassa-server does not model)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from ed_samples import ALL_OBJECTS, CARD, ITEM, ORDER_STATE, SALE

from kassa_server.enterprisedata import SUPPORTED_VERSIONS, Deletion, Header, Item, read_message, write_message
from kassa_server.enterprisedata.checks import assert_valid_enterprisedata
from kassa_server.enterprisedata.conversion import convert_bytes
from kassa_server.enterprisedata.schema import type_graph


def message(version: str, objects: list[object]) -> bytes:
    buffer = io.BytesIO()
    header = Header(version, datetime(2025, 3, 1), "dev", message_no=4, received_no=2, available_versions=[version])
    write_message(buffer, header, objects)  # type: ignore[arg-type]
    return buffer.getvalue()


def everything(version: str) -> list[object]:
    found = [o for o in ALL_OBJECTS if type_graph(version).object_type(o.wire_name) is not None]  # type: ignore[attr-defined]
    return [*found, Deletion(Item, ITEM.ref)]


@pytest.mark.parametrize("target", SUPPORTED_VERSIONS)
def test_the_newest_message_converts_into_every_version_and_validates(target: str) -> None:
    source = message("1.21", everything("1.21"))
    data, result = convert_bytes(source, target)
    report = assert_valid_enterprisedata(data)
    assert report.version == target and result.source_version == "1.21" and result.target_version == target
    assert result.written + result.skipped == len(everything("1.21")) == report.objects + result.skipped
    with read_message(io.BytesIO(data)) as reader:
        assert reader.header.format_version == target and target in reader.header.available_versions
        assert reader.header.message_no == 4 and reader.header.received_no == 2
    if target == "1.21":
        assert result.complete, [str(loss) for loss in result.losses]
    else:
        assert not result.complete
    if target == "1.7":
        skipped = {loss.object_type for loss in result.losses if not loss.path}
        assert "Справочник.СостояниеЗаказа" in skipped
        assert any("EnterpriseData 1.7 has no Справочник.СостояниеЗаказа" in str(loss) for loss in result.losses)


def test_losses_name_the_property_and_why() -> None:
    _, result = convert_bytes(message("1.21", [SALE, CARD]), "1.8")
    text = [str(loss) for loss in result.losses]
    assert f"Документ.ЧекККМ {SALE.ref}, ОплатаПлатежнымиКартами/Строка[1]/КодRRN (rrn): not expressible in 1.8 " \
           "(was '123456')" in text  # fmt: skip
    assert any(t.startswith(f"Справочник.ДисконтныеКарты {CARD.ref}, Статус (status)") for t in text)
    assert result.written == 2 and result.skipped == 0


def test_an_object_missing_what_the_target_requires_is_not_carried() -> None:
    # a 1.21 card payment has no card number, which 1.8 requires
    data = message("1.21", [SALE]).replace("<НомерКарты>4276********1234</НомерКарты>".encode(), b"")
    out, result = convert_bytes(data, "1.8")
    (loss,) = [loss for loss in result.losses if not loss.path]
    assert loss.object_type == "Документ.ЧекККМ" and "НомерКарты" in loss.reason and result.skipped == 1
    assert_valid_enterprisedata(out)


def test_unmodelled_properties_and_types_are_reported_or_carried_verbatim() -> None:
    data = message("1.21", [ITEM])
    shelf_life = "<Весовой>false</Весовой><СрокГодности>30</СрокГодности>"
    data = data.replace("<Весовой>false</Весовой>".encode(), shelf_life.encode())
    bank = "<Справочник.Банки><КлючевыеСвойства><Ссылка>b-1</Ссылка><ДанныеКлассификатораБанков><Наименование>Банк" \
           "</Наименование><БИК>044525225</БИК></ДанныеКлассификатораБанков></КлючевыеСвойства><Город>Москва</Город>" \
           "</Справочник.Банки>"  # fmt: skip
    broken_bank = bank.replace("b-1", "b-2").replace("<Город>", "<Город><Улица/>")
    data = data.replace(b"</Body>", (bank + broken_bank).encode() + b"</Body>")
    out, result = convert_bytes(data, "1.8")
    text = [str(loss) for loss in result.losses]
    assert f"Справочник.Номенклатура {ITEM.ref}, СрокГодности: not modelled by kassa-server, dropped" in text
    # a type kassa-server does not model but 1.8 has: carried as it is, in the 1.8 namespace
    assert not any(t.startswith("Справочник.Банки b-1") for t in text)
    assert any(t.startswith("Справочник.Банки b-2: not carried: kassa-server does not model Справочник.Банки, and "
                            "as it is it is not valid in 1.8") for t in text)  # fmt: skip
    assert result.written == 2 and result.skipped == 1
    report = assert_valid_enterprisedata(out)
    assert report.version == "1.8" and report.objects == 2
    assert "<Город>Москва</Город>".encode() in out and "<СрокГодности>".encode() not in out
    _, to_17 = convert_bytes(message("1.8", [ORDER_STATE]), "1.7")  # no such type in 1.7
    assert [str(loss) for loss in to_17.losses] == [
        f"Справочник.СостояниеЗаказа {ORDER_STATE.ref}: not carried: EnterpriseData 1.7 has no "
        "Справочник.СостояниеЗаказа"
    ]
