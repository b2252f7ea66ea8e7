"""``kassa-server organization create|list|set``, ``store create|list|set`` and ``price-type create|list|rename``."""

from __future__ import annotations

import argparse

from kassa_server.admin import catalog, organizations
from kassa_server.admin.infobases import get_infobase
from kassa_server.cli._common import session_for
from kassa_server.models.enums import LegalForm, TaxSystem
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    organization = commands.add_parser("organization", help="organizations (the sellers on receipts)")
    sub = organization.add_subparsers(metavar="COMMAND")
    create = sub.add_parser("create", help="add an organization")
    create.add_argument("--infobase", required=True)
    create.add_argument("name")
    _organization_fields(create)
    create.set_defaults(handler=cmd_organization_create)
    listing = sub.add_parser("list", help="list organizations")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_organization_list)
    change = sub.add_parser("set", help="change an organization (e.g. the one `infobase create` made)")
    change.add_argument("--infobase", required=True)
    change.add_argument("name", help="the organization's current name")
    change.add_argument("--name", dest="new_name", default=None, help="a new name")
    _organization_fields(change)
    change.set_defaults(handler=cmd_organization_set)

    store = commands.add_parser("store", help="stores (points of sale)").add_subparsers(metavar="COMMAND")
    create = store.add_parser("create", help="add a store")
    create.add_argument("--infobase", required=True)
    create.add_argument("name")
    create.add_argument("--address", default="")
    create.add_argument("--organization", default=None, help="organization name (default: the first one)")
    create.set_defaults(handler=cmd_store_create)
    listing = store.add_parser("list", help="list stores")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_store_list)
    change = store.add_parser("set", help="rename a store or change its address")
    change.add_argument("--infobase", required=True)
    change.add_argument("name", help="the store's current name")
    change.add_argument("--name", dest="new_name", default=None, help="a new name")
    change.add_argument("--address", default=None)
    change.set_defaults(handler=cmd_store_set)

    price_type = commands.add_parser("price-type", help="price types").add_subparsers(metavar="COMMAND")
    create = price_type.add_parser("create", help="add a price type")
    create.add_argument("--infobase", required=True)
    create.add_argument("name")
    create.set_defaults(handler=cmd_price_type_create)
    listing = price_type.add_parser("list", help="list price types (the first is the devices' default)")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_price_type_list)
    rename = price_type.add_parser("rename", help="rename a price type")
    rename.add_argument("--infobase", required=True)
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.set_defaults(handler=cmd_price_type_rename)


def _organization_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full-name", default=None)
    parser.add_argument("--inn", default=None, help="ИНН: 10 digits (a company) or 12 (an entrepreneur)")
    parser.add_argument("--kpp", default=None, help="КПП: 9 characters (companies only)")
    parser.add_argument("--legal-form", choices=[f.value for f in LegalForm], default=None)
    parser.add_argument("--tax-system", choices=[t.value for t in TaxSystem], default=None)


def _organization_input(args: argparse.Namespace, name: str | None) -> organizations.OrganizationInput:
    return organizations.OrganizationInput(
        name=name,
        full_name=args.full_name,
        inn=args.inn,
        kpp=args.kpp,
        legal_form=LegalForm(args.legal_form) if args.legal_form else None,
        tax_system=TaxSystem(args.tax_system) if args.tax_system else None,
    )


def cmd_organization_create(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        created = organizations.create_organization(session, infobase, _organization_input(args, args.name))
        print(f"created organization {created.name!r} in infobase {infobase.name!r}")
    return 0


def cmd_organization_set(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        changed = organizations.set_organization(session, infobase, args.name, _organization_input(args, args.new_name))
        print(f"changed organization {changed.name!r}")
    return 0


def cmd_organization_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("name\tinn\tkpp\tlegal_form\ttax_system")
        for o in organizations.list_organizations(session, get_infobase(session, args.infobase)):
            print(f"{o.name}\t{o.inn or '-'}\t{o.kpp or '-'}\t{o.legal_form.value}\t{o.tax_system.value}")
    return 0


def cmd_store_create(settings: Settings, args: argparse.Namespace) -> int:
    data = organizations.StoreInput(name=args.name, address=args.address, organization=args.organization)
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        created = organizations.create_store(session, infobase, data)
        print(f"created store {created.name!r} in infobase {infobase.name!r}")
    return 0


def cmd_store_set(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        changed = organizations.set_store(session, infobase, args.name, new_name=args.new_name, address=args.address)
        print(f"changed store {changed.name!r}")
    return 0


def cmd_store_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("name\torganization\taddress")
        for s in organizations.list_stores(session, get_infobase(session, args.infobase)):
            organization = s.organization.name if s.organization else "-"
            print(f"{s.name}\t{organization}\t{s.address or '-'}")
    return 0


def cmd_price_type_create(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        created = catalog.create_price_type(session, infobase, args.name)
        print(f"created price type {created.name!r} in infobase {infobase.name!r}")
    return 0


def cmd_price_type_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        for price_type in catalog.list_price_types(session, get_infobase(session, args.infobase)):
            print(f"{price_type.name}\t{price_type.currency_name}")
    return 0


def cmd_price_type_rename(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        renamed = catalog.rename_price_type(session, infobase, args.name, args.new_name)
        print(f"renamed price type to {renamed.name!r}")
    return 0
