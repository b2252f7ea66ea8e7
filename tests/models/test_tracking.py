"""Every ORM write path stamps change sequences in commit order and leaves tombstones for deletions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from kassa_server.admin.demo import seed_demo
from kassa_server.models import CustomerOrder, Infobase, OrderLine, Price, Product, Tombstone
from kassa_server.models.engine import make_engine, make_sessionmaker


def test_changes_get_increasing_sequences_and_deletions_leave_tombstones(db_url: str) -> None:
    engine = make_engine(db_url)
    Session = make_sessionmaker(engine)
    try:
        with Session.begin() as session:
            seed_demo(session)
        with Session() as session:
            infobase = session.scalars(select(Infobase)).one()
            seeded = infobase.change_seq
            products = session.scalars(select(Product)).all()
            assert seeded > 0
            assert all(0 < p.change_seq <= seeded for p in products)

        with Session.begin() as session:
            product = session.scalars(select(Product).order_by(Product.id)).first()
            assert product is not None
            product.name = "Переименован"
        with Session.begin() as session:
            price = session.scalars(select(Price).order_by(Price.id)).first()
            assert price is not None
            price.value = Decimal("1.00")
        with Session.begin() as session:
            line = session.scalars(select(OrderLine).order_by(OrderLine.id)).first()
            assert line is not None
            line.quantity = Decimal(5)
            order_id = line.order_id
        with Session.begin() as session:
            victim = session.scalars(select(Product).order_by(Product.id.desc())).first()
            assert victim is not None
            victim_ref = victim.ref
            session.delete(victim)

        with Session() as session:
            infobase = session.scalars(select(Infobase)).one()
            renamed = session.scalars(select(Product).where(Product.name == "Переименован")).one()
            price = session.get(Price, price.id)
            order = session.get(CustomerOrder, order_id)
            assert price is not None and order is not None
            assert seeded < renamed.change_seq < price.change_seq < order.change_seq <= infobase.change_seq
            tombstone = session.scalars(select(Tombstone)).one()
            assert (tombstone.object_kind, tombstone.ref) == ("product", victim_ref)
            assert tombstone.change_seq == infobase.change_seq
            # an unchanged object that is merely loaded and flushed does not move
            before = infobase.change_seq
            session.scalars(select(Product)).all()
            session.flush()
            session.commit()
            assert session.scalars(select(Infobase)).one().change_seq == before
    finally:
        engine.dispose()
