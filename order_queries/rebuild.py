"""Rebuild every view from the command side while the system serves (operations/rebuild_order_queries.py
runs it: `make rebuild-order-queries`).

1. A new generation is opened (projection_state.building_generation): from then on, every event
   order_queries applies goes to the served generation and to the new one.
2. Every order is read from orders (`snapshot_orders`, by id, a page at a time) with its payment
   (`payments.get_payments`) and its customer (`users.get_users`), and merged into the new
   generation by the same rules as events (sequence, payment stage, newest customer), so an
   event applied meanwhile, before or after its order's page, ends in the same view.
3. The new generation is served (one UPDATE), and the old one's rows are deleted in batches.
Reads go on from the old generation until the switch; a rebuild that fails is abandoned and its
rows deleted, the old generation still served. The caller acts as an admin (an operator's
token), and this process writes the read side's own database."""

import logging
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from contracts.clients import Services
from order_queries import projection
from plumbing.migrations import database_urls
from plumbing.unit_of_work import UnitOfWork
from wire.errors import Conflict

log = logging.getLogger(__name__)

PAGE_SIZE = 500
DELETE_BATCH = 5000

# Past every generation that has rows (one abandoned or still being deleted included).
_OPEN = text(
    "UPDATE projection_state SET building_generation = GREATEST(current_generation,"
    " (SELECT coalesce(max(generation), 0) FROM order_views)) + 1"
    " WHERE id = 1 AND building_generation IS NULL RETURNING building_generation"
)
_ENSURE_STATE = text(
    "INSERT INTO projection_state (id, current_generation) VALUES (1, :first) ON CONFLICT (id) DO NOTHING"
)
_SWITCH = text(
    "UPDATE projection_state SET current_generation = building_generation, building_generation = NULL"
    " WHERE id = 1 AND building_generation = :generation"
)
_ABANDON = text("UPDATE projection_state SET building_generation = NULL WHERE id = 1 AND building_generation = :g")
_DELETE_OTHERS = text(
    "DELETE FROM order_views WHERE ctid IN (SELECT ctid FROM order_views WHERE generation <> :keep LIMIT :batch)"
)
_DELETE_GENERATION = text(
    "DELETE FROM order_views WHERE ctid IN (SELECT ctid FROM order_views WHERE generation = :g LIMIT :batch)"
)


def open_generation(engine: Engine) -> int:
    """The new generation's number; Conflict while another rebuild is running."""
    with UnitOfWork(Session(engine), close=True) as uow:
        uow.session.execute(_ENSURE_STATE, {"first": projection.FIRST_GENERATION})
        opened = uow.session.execute(_OPEN).scalar()
        if opened is None:
            raise Conflict("A rebuild of the order views is already running.")
        uow.commit()
    return opened


def copy_orders(engine: Engine, rpc: Services, generation: int, page_size: int = PAGE_SIZE) -> int:
    """Every order of the command side into `generation`; how many."""
    after, count = None, 0
    while True:
        orders = rpc.orders.snapshot_orders(after, page_size)
        if not orders:
            return count
        read_at = datetime.now(UTC).isoformat()  # before reading payments and users: they are at least this new
        payments = {p["order_id"]: p for p in rpc.payments.get_payments([o["id"] for o in orders])}
        users = rpc.users.get_users(sorted({o["user_id"] for o in orders}))
        with UnitOfWork(Session(engine), close=True) as uow:
            for order in orders:
                projection.apply_snapshot(uow.session, generation, order, payments.get(order["id"]), read_at)
            for user in users:
                projection.apply_customer(uow.session, user["id"], user["email"].lower(), user["name"], read_at)
            uow.commit()
        count += len(orders)
        after = orders[-1]["id"]
        log.info("rebuild: %d orders copied", count)


def switch_to(engine: Engine, generation: int) -> None:
    """Serve `generation`, then delete every other generation's rows, a batch at a time."""
    with UnitOfWork(Session(engine), close=True) as uow:
        uow.session.execute(_SWITCH, {"generation": generation})
        uow.commit()
    _delete(engine, _DELETE_OTHERS, {"keep": generation})


def abandon(engine: Engine, generation: int) -> None:
    with UnitOfWork(Session(engine), close=True) as uow:
        uow.session.execute(_ABANDON, {"g": generation})
        uow.commit()
    _delete(engine, _DELETE_GENERATION, {"g": generation})


def _delete(engine: Engine, statement, params: dict) -> None:
    while True:
        with UnitOfWork(Session(engine), close=True) as uow:
            deleted = uow.session.execute(statement, {**params, "batch": DELETE_BATCH}).rowcount
            uow.commit()
        if deleted < DELETE_BATCH:
            return


def rebuild(config: dict, rpc: Services, page_size: int = PAGE_SIZE) -> dict:
    """The whole rebuild (module docstring) with `rpc`, the typed clients acting as an admin:
    {generation, orders}."""
    engine = create_engine(database_urls(config)["order_queries"])
    try:
        generation = open_generation(engine)
        try:
            count = copy_orders(engine, rpc, generation, page_size)
        except BaseException:
            abandon(engine, generation)
            raise
        switch_to(engine, generation)
        return {"generation": generation, "orders": count}
    finally:
        engine.dispose()
