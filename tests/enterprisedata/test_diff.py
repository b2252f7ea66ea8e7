"""``ed diff``'s library: added, removed and changed objects and properties, order-independent where the format
defines no order."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ed_samples import BARCODE, ITEM, SALE, UNIT

from kassa_server.enterprisedata import Header, write_message
from kassa_server.enterprisedata.diff import diff_messages


def message(objects: list[object], versions: list[str] | None = None, message_no: int = 7) -> bytes:
    buffer = io.BytesIO()
    header = Header("1.21", datetime(2025, 3, 1), "dev", message_no=message_no,
                    available_versions=versions or ["1.8", "1.21"])  # fmt: skip
    write_message(buffer, header, objects)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_same_objects_in_another_order_are_the_same() -> None:
    a = message([ITEM, UNIT, BARCODE, SALE])
    b = message([SALE, BARCODE, UNIT, ITEM], versions=["1.21", "1.8"])
    difference = diff_messages(a, b)
    assert difference.same, list(difference.lines())


def test_added_removed_and_changed_by_path(tmp_path: Path) -> None:
    changed_item = dataclasses.replace(ITEM, article="A-200", description=None, weighed=True)
    sale_rows = [dataclasses.replace(SALE.sales[0], quantity=Decimal(3))]
    changed_sale = dataclasses.replace(SALE, sales=sale_rows)
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    a.write_bytes(message([ITEM, UNIT, SALE]))
    b.write_bytes(message([changed_sale, changed_item, BARCODE], message_no=8))
    difference = diff_messages(a, b)
    kinds = {(c.kind, c.object_type, c.key) for c in difference.changes}
    assert ("removed", "Справочник.ЕдиницыИзмерения", str(UNIT.ref)) in kinds
    assert ("added", "Справочник.ШтрихкодыНоменклатуры", "Штрихкод=4600000000024") in kinds
    by_type = {c.object_type: c for c in difference.changes if c.kind == "changed"}
    assert [(p.kind, p.path, p.old, p.new) for p in by_type["msg:Header"].properties] == [
        ("changed", "Confirmation/MessageNo", "7", "8")
    ]
    item = {(p.kind, p.path, p.old, p.new) for p in by_type["Справочник.Номенклатура"].properties}
    assert item == {
        ("changed", "КлючевыеСвойства/Артикул", "A-100", "A-200"),
        ("removed", "Описание", "Арабика", None),
        ("changed", "Весовой", "false", "true"),
    }
    sale = [(p.path, p.old, p.new) for p in by_type["Документ.ЧекККМ"].properties]
    assert ("ТоварыПродажа/Строка/Количество", "2", "3") in sale
    lines = list(difference.lines())
    assert lines[-1] == f"{a} -> {b}: 1 added, 1 removed, 3 changed"
    assert f"~ Справочник.Номенклатура {ITEM.ref} ({a}:" in "\n".join(lines)
    assert "    ~ КлючевыеСвойства/Артикул: 'A-100' -> 'A-200'" in lines
