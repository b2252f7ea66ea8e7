"""``kassa-server ed ...``: the EnterpriseData toolbox for integrators, offline (no database, no server).

``validate`` exits 1 when a file is invalid, ``diff`` when the messages differ, ``convert`` when something could not
be carried; usage errors exit 2. A file argument ``-`` reads standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from kassa_server.enterprisedata.versions import SUPPORTED_VERSIONS
from kassa_server.errors import ConfigError
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    ed = commands.add_parser("ed", help="EnterpriseData messages offline: validate, show, diff, convert, schema")
    sub = ed.add_subparsers(title="ed commands", metavar="COMMAND")
    versions = ", ".join(SUPPORTED_VERSIONS)

    validate = sub.add_parser("validate", help="check messages (.xml, .zip) or single objects; every error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--version", dest="format_version", choices=SUPPORTED_VERSIONS, metavar="VERSION",
                          help=f"check against this version instead of the declared one ({versions})")  # fmt: skip
    validate.add_argument("--json", action="store_true", help="a JSON report for scripts and CI")
    validate.set_defaults(handler=cmd_validate)

    show = sub.add_parser("show", help="the header and a table of the objects")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--object", default=None, metavar="REF", help="pretty-print the object with this Ссылка")
    show.set_defaults(handler=cmd_show)

    diff = sub.add_parser("diff", help="object-level differences between two messages")
    diff.add_argument("a", metavar="A")
    diff.add_argument("b", metavar="B")
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(handler=cmd_diff)

    convert = sub.add_parser("convert", help="rewrite a message in another version")
    convert.add_argument("file", metavar="FILE")
    convert.add_argument("--to", required=True, choices=SUPPORTED_VERSIONS, metavar="VERSION", help=versions)
    convert.add_argument("-o", "--out", required=True, help="output file (.zip: zipped as data.xml; - for stdout)")
    convert.set_defaults(handler=cmd_convert)

    schema = sub.add_parser("schema", help="write the XSDs of a version, with a strict variant for xmllint")
    schema.add_argument("--version", dest="format_version", required=True, choices=SUPPORTED_VERSIONS,
                        metavar="VERSION", help=versions)  # fmt: skip
    schema.add_argument("--out", required=True, help="directory (created)")
    schema.set_defaults(handler=cmd_schema)

    ed.set_defaults(handler=lambda settings, args: ed.print_help() or 2)


def _source(file: str) -> Any:
    return sys.stdin.buffer.read() if file == "-" else file


def _name(file: str) -> str | None:
    return "<stdin>" if file == "-" else None


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.enterprisedata.validation import validate

    reports = [validate(_source(f), args.format_version, name=_name(f)) for f in args.files]
    if args.json:
        document = {"valid": all(r.valid for r in reports), "files": [r.as_dict() for r in reports]}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            for problem in report.problems:
                print(problem)
            print(report.summary(), file=sys.stderr)
    return 0 if all(r.valid for r in reports) else 1


def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.enterprisedata import inspection

    source = _source(args.file)
    if args.object is not None:
        found = inspection.find_object(source, args.object, _name(args.file))
        if found is None:
            raise ConfigError(f"{args.file}: no object with Ссылка {args.object}")
        print(f"# {args.file}:{found[0]}")
        print(found[1].decode("utf-8"))
        return 0
    for line in inspection.format_overview(inspection.overview(source, _name(args.file))):
        print(line)
    return 0


def cmd_diff(settings: Settings, args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from kassa_server.enterprisedata.diff import diff_messages

    difference = diff_messages(_source(args.a), _source(args.b), name_a=_name(args.a), name_b=_name(args.b))
    if args.json:
        print(json.dumps({"same": difference.same, **asdict(difference)}, ensure_ascii=False, indent=2))
    else:
        for line in difference.lines():
            print(line)
    return 0 if difference.same else 1


def cmd_convert(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.enterprisedata.conversion import convert_message

    source = _source(args.file)
    report = sys.stderr if args.out == "-" else sys.stdout
    try:
        if args.out == "-":
            result = convert_message(source, args.to, sys.stdout.buffer)
        elif args.out.lower().endswith(".zip"):
            with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("data.xml", "w") as out:
                result = convert_message(source, args.to, out)
        else:
            with Path(args.out).open("wb") as out:
                result = convert_message(source, args.to, out)
    except OSError as exc:
        raise ConfigError(f"{args.out}: {exc.strerror}") from exc
    for loss in result.losses:
        print(loss, file=report)
    print(result.summary(), file=report)
    return 0 if result.complete else 1


def cmd_schema(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.enterprisedata.schema import schema_files

    out = Path(args.out)
    for name, data in schema_files(args.format_version).items():
        path = out / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise ConfigError(f"{path}: {exc.strerror}") from exc
        print(path)
    return 0
