"""``kassa-server ed ...`` end to end in a subprocess: validate, show, diff, convert and schema over real files,
happy and error paths; the strict XSDs compiled by lxml and by Debian's xmllint."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from kassa_server.enterprisedata import SUPPORTED_VERSIONS, Header, write_message
from kassa_server.enterprisedata.schema import type_graph
from tests.enterprisedata.ed_samples import ALL_OBJECTS, ITEM, SALE


def objects_of(version: str) -> list[object]:
    return [o for o in ALL_OBJECTS if type_graph(version).object_type(o.wire_name) is not None]  # type: ignore[attr-defined]


N121 = len(objects_of("1.21"))  # the sample message of 1.21: every sample object that version has


def ed(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    done = subprocess.run([sys.executable, "-m", "kassa_server", "ed", *args], capture_output=True, input=stdin,
                          env=env, timeout=300, cwd=cwd)  # fmt: skip
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def write(path: Path, version: str, objects: list[object] | None = None) -> Path:
    if objects is None:
        objects = objects_of(version)
    header = Header(version, datetime(2025, 3, 1), "dev", message_no=3, available_versions=[version])
    buffer = io.BytesIO()
    write_message(buffer, header, objects)  # type: ignore[arg-type]
    tree = etree.fromstring(buffer.getvalue().removeprefix(b"\xef\xbb\xbf"))
    etree.indent(tree)  # one element per line: errors get distinct line numbers
    path.write_bytes(etree.tostring(tree, encoding="UTF-8", xml_declaration=True))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ed")
    found = {v: write(root / f"m{v}.xml", v) for v in SUPPORTED_VERSIONS}
    broken = found["1.21"].read_text(encoding="utf-8")
    start = broken.index("<Справочник.Номенклатура ")  # the product itself: its kind repeats ТипНоменклатуры
    broken = broken[:start] + broken[start:].replace(
        "<ТипНоменклатуры>Товар</ТипНоменклатуры>", "<ТипНоменклатуры>Товаръ</ТипНоменклатуры>", 1
    )
    broken = broken.replace("<Номер>T-1</Номер>", "<Номер>T-1</Номер><Лишнее/>", 1)
    (root / "broken.xml").write_text(broken, encoding="utf-8")
    found["broken"] = root / "broken.xml"
    with zipfile.ZipFile(root / "m.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(found["1.21"], "data.xml")
    found["zip"] = root / "m.zip"
    return found


def test_validate_valid_messages_of_every_version(files: dict[str, Path]) -> None:
    done = ed("validate", *(str(files[v]) for v in SUPPORTED_VERSIONS), str(files["zip"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""
    for version in SUPPORTED_VERSIONS:
        assert f"{files[version]}: valid EnterpriseData {version}," in done.stderr
    assert f"{files['zip']}!data.xml: valid EnterpriseData 1.21, {N121} objects" in done.stderr


def test_validate_reports_every_error_and_exits_1(files: dict[str, Path]) -> None:
    done = ed("validate", str(files["broken"]), str(files["1.8"]))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    text = files["broken"].read_text(encoding="utf-8").splitlines()
    enum_line = next(i for i, line in enumerate(text, 1) if "Товаръ" in line)
    assert lines[0].startswith(f"{files['broken']}:{enum_line}: Справочник.Номенклатура, {ITEM.ref}, "
                               "Справочник.Номенклатура/ТипНоменклатуры: Element 'ТипНоменклатуры': [facet "
                               "'enumeration'] The value 'Товаръ' is not an element of the set")  # fmt: skip
    assert ", Справочник.ЭквайринговыеТерминалы/КлючевыеСвойства/Лишнее: Element 'Лишнее': This element is not " \
           "expected." in lines[1]  # fmt: skip
    assert f"{files['broken']}: 2 errors, EnterpriseData 1.21" in done.stderr
    assert f"{files['1.8']}: valid" in done.stderr


def test_validate_json_version_stdin_and_missing_files(files: dict[str, Path], tmp_path: Path) -> None:
    done = ed("validate", "--json", str(files["broken"]), str(tmp_path / "nothing.xml"))
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["valid"] is False
    broken, missing = document["files"]
    assert broken["version"] == "1.21" and broken["objects"] == N121 and len(broken["errors"]) == 2
    assert set(broken["errors"][0]) == {"file", "line", "object_type", "ref", "path", "reason"}
    assert broken["errors"][0]["ref"] == str(ITEM.ref)
    assert "No such file" in missing["errors"][0]["reason"]
    forced = ed("validate", "--version", "1.8", str(files["1.21"]))
    assert forced.returncode == 1 and "declares version 1.21, checked as 1.8" in forced.stdout
    piped = ed("validate", "-", stdin=files["zip"].read_bytes())
    assert piped.returncode == 0 and "<stdin>!data.xml: valid" in piped.stderr
    assert ed("validate", "--version", "9.9", str(files["1.21"])).returncode == 2
    assert ed().returncode == 2


def test_validate_a_single_object(tmp_path: Path) -> None:
    from kassa_server.enterprisedata import object_xml

    path = tmp_path / "item.xml"
    path.write_bytes(object_xml(ITEM, "1.19"))  # type: ignore[arg-type]
    done = ed("validate", str(path))
    assert done.returncode == 0 and f"{path}: valid EnterpriseData 1.19, 1 objects" in done.stderr
    path.write_bytes(path.read_bytes().replace("Товар<".encode(), "Товары<".encode()))
    done = ed("validate", str(path))
    assert done.returncode == 1 and done.stdout.startswith(f"{path}:1: Справочник.Номенклатура, {ITEM.ref}, ")


def test_show_and_show_object(files: dict[str, Path]) -> None:
    done = ed("show", str(files["zip"]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("msg:Header\n  Format: http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.21\n")
    row = next(line for line in done.stdout.splitlines() if str(SALE.ref) in line and "Документ.ЧекККМ" in line)
    assert "[ТоварыПродажа:1 Услуги:1 ОплатаПлатежнымиКартами:1 ОплатыККМ:1 АкцизныеМарки:1]" in row
    assert f"{N121} objects" in done.stdout and "         2  Документ.ЧекККМ" in done.stdout
    one = ed("show", str(files["1.8"]), "--object", str(ITEM.ref))
    assert one.returncode == 0 and one.stdout.startswith(f"# {files['1.8']}:")
    assert "\n  <КлючевыеСвойства>\n    <Ссылка>" in one.stdout
    missing = ed("show", str(files["1.8"]), "--object", "nope")
    assert missing.returncode == 1 and "no object with Ссылка nope" in missing.stderr


def test_diff(files: dict[str, Path], tmp_path: Path) -> None:
    same = ed("diff", str(files["1.21"]), str(files["zip"]))
    assert same.returncode == 0 and same.stdout.endswith(": 0 added, 0 removed, 0 changed\n")
    done = ed("diff", "--json", str(files["1.21"]), str(files["broken"]))
    assert done.returncode == 1
    changes = json.loads(done.stdout)["changes"]
    assert {(c["object_type"], c["kind"]) for c in changes} == {
        ("Справочник.Номенклатура", "changed"), ("Справочник.ЭквайринговыеТерминалы", "changed"),
    }  # fmt: skip
    item = next(c for c in changes if c["object_type"] == "Справочник.Номенклатура")
    assert item["properties"] == [{"kind": "changed", "path": "ТипНоменклатуры", "old": "Товар", "new": "Товаръ"}]


def test_convert(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "to18.zip"
    done = ed("convert", str(files["1.21"]), "--to", "1.8", "-o", str(out))
    assert done.returncode == 1  # 1.8 cannot carry everything: named, and the rest is written
    assert f"Документ.ЧекККМ {SALE.ref}, ОплатаПлатежнымиКартами/Строка[1]/КодRRN (rrn): not expressible" in done.stdout
    assert f"converted 1.21 -> 1.8: {N121} objects written, 0 not carried," in done.stdout
    checked = ed("validate", str(out))
    assert checked.returncode == 0 and f"{out}!data.xml: valid EnterpriseData 1.8, {N121} objects" in checked.stderr
    same = ed("convert", str(files["1.21"]), "--to", "1.21", "-o", "-")
    assert same.returncode == 0 and "0 losses" in same.stderr and same.stdout.startswith("\ufeff<?xml")
    up = ed("convert", str(files["1.8"]), "--to", "1.21", "-o", str(tmp_path / "up.xml"))
    assert ed("validate", str(tmp_path / "up.xml")).returncode == 0, up.stdout


def test_schema_writes_faithful_and_strict_xsds_that_libxml2_compiles(files: dict[str, Path], tmp_path: Path) -> None:
    done = ed("schema", "--version", "1.21", "--out", str(tmp_path / "xsd"))
    assert done.returncode == 0, done.stderr
    written = sorted(str(Path(p).relative_to(tmp_path / "xsd")) for p in done.stdout.split())
    assert written == [
        "EnterpriseData_1_21.xsd", "ExchangeMessage.xsd", "strict/Body_1_21.xsd",
        "strict/EnterpriseData_1_21.xsd", "strict/ExchangeMessage.xsd", "strict/Message_1_21.xsd",
    ]  # fmt: skip
    strict = tmp_path / "xsd" / "strict"
    with pytest.raises(etree.XMLSchemaParseError, match="not determinist"):  # 1C's wildcards, as shipped
        etree.XMLSchema(etree.parse(str(tmp_path / "xsd" / "EnterpriseData_1_21.xsd")))
    message_schema = etree.XMLSchema(etree.parse(str(strict / "Message_1_21.xsd")))
    assert message_schema.validate(etree.parse(str(files["1.21"])))
    assert not message_schema.validate(etree.parse(str(files["broken"])))
    object_schema = etree.XMLSchema(etree.parse(str(strict / "EnterpriseData_1_21.xsd")))
    item = etree.parse(str(files["1.21"])).find(".//{*}Справочник.Номенклатура")
    assert item is not None and object_schema.validate(item)
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        pytest.skip("xmllint (Debian's libxml2-utils) is not installed")
    good = subprocess.run([xmllint, "--noout", "--schema", str(strict / "Message_1_21.xsd"), str(files["1.21"])],
                          capture_output=True, text=True)  # fmt: skip
    assert good.returncode == 0 and "validates" in good.stderr, good.stderr
    bad = subprocess.run([xmllint, "--noout", "--schema", str(strict / "Message_1_21.xsd"), str(files["broken"])],
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode != 0 and "Товаръ" in bad.stderr


def test_schema_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = ed("schema", "--version", "1.8", "--out", str(tmp_path / "file"))
    assert done.returncode == 1 and done.stderr.startswith("kassa-server: error:")
