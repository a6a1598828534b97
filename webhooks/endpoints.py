"""Endpoints and their delivery log, as the management operations read and change them."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts.webhooks import TEST_EVENT, matches, webhook_type
from plumbing.pagination import fetch_page
from webhooks.models import FAILED, PENDING, SUCCEEDED, Attempt, Delivery, Endpoint, new_id
from webhooks.signing import payload_body
from wire.errors import Conflict, NotFound
from wire.pagination import PageRequest


def get(session: Session, endpoint_id: str, lock: bool = False) -> Endpoint:
    query = select(Endpoint).where(Endpoint.id == endpoint_id)
    endpoint = session.scalars(query.with_for_update() if lock else query).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def list_page(session: Session, page: PageRequest) -> tuple[list[Endpoint], int]:
    return fetch_page(session, select(Endpoint).order_by(Endpoint.created_at, Endpoint.id), page)


def rotate(endpoint: Endpoint, new_secret: str, grace: timedelta) -> None:
    endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret
    endpoint.previous_secret_until = datetime.now(UTC) + grace


def signing_secrets(endpoint_secret: str, previous: str | None, previous_until: datetime | None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its grace period."""
    if previous and previous_until and previous_until > datetime.now(UTC):
        return [endpoint_secret, previous]
    return [endpoint_secret]


def enqueue(session: Session, event: dict) -> int:
    """A pending delivery of `event` for every enabled endpoint subscribed to its type (once per
    endpoint and event: a redelivered event adds none). Returns how many were added."""
    kind = webhook_type(event["event_type"])
    endpoints = session.execute(select(Endpoint.id, Endpoint.event_types).where(Endpoint.enabled)).all()
    wanted = [endpoint_id for endpoint_id, patterns in endpoints if matches(patterns, kind)]
    if not wanted:
        return 0
    body = payload_body(event)
    rows = [{"id": new_id(), "endpoint_id": endpoint_id, "event_id": str(event["event_id"]), "event_type": kind,
             "order_id": event.get("order_id"), "occurred_at": event["occurred_at"], "body": body,
             "status": PENDING, "attempts": 0, "attempts_before_requeue": 0} for endpoint_id in wanted]
    statement = insert(Delivery).values(rows).on_conflict_do_nothing(constraint="uq_deliveries_endpoint_event")
    return session.execute(statement).rowcount


def enqueue_test(session: Session, endpoint: Endpoint) -> Delivery:
    now = datetime.now(UTC)
    event = {"event_id": new_id(), "event_type": "webhook_test", "occurred_at": now.isoformat(), "version": 1,
             "endpoint_id": endpoint.id}
    delivery = Delivery(id=new_id(), endpoint_id=endpoint.id, event_id=event["event_id"], event_type=TEST_EVENT,
                        order_id=None, occurred_at=now, body=payload_body(event, TEST_EVENT), status=PENDING,
                        attempts=0, attempts_before_requeue=0, next_attempt_at=now)
    session.add(delivery)
    session.flush()
    return delivery


def deliveries_page(session: Session, endpoint_id: str, page: PageRequest, status: str | None = None,
                    event_type: str | None = None, order_id: str | None = None) -> tuple[list[Delivery], int]:
    query = select(Delivery).where(Delivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(Delivery.status == status)
    if event_type:
        query = query.where(Delivery.event_type == event_type)
    if order_id:
        query = query.where(Delivery.order_id == order_id)
    return fetch_page(session, query.order_by(Delivery.created_at.desc(), Delivery.seq.desc()), page)


def get_delivery(session: Session, endpoint_id: str, delivery_id: str, lock: bool = False) -> Delivery:
    query = select(Delivery).where(Delivery.id == delivery_id, Delivery.endpoint_id == endpoint_id)
    delivery = session.scalars(query.with_for_update() if lock else query).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


def attempts_of(session: Session, delivery_id: str) -> list[Attempt]:
    return list(session.scalars(select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.number)))


def retry(delivery: Delivery) -> None:
    if delivery.status == SUCCEEDED:
        raise Conflict("This delivery succeeded: there is nothing to retry.")
    _requeue(delivery)


def _requeue(delivery: Delivery) -> None:
    delivery.status, delivery.attempts_before_requeue, delivery.finished_at = PENDING, delivery.attempts, None
    delivery.next_attempt_at, delivery.leased_until = datetime.now(UTC), None


def replay_failed(session: Session, endpoint_id: str, since: datetime) -> int:
    """Every failed delivery of the endpoint created since `since` pending again, due now."""
    return session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.status == FAILED, Delivery.created_at >= since)
        .values(status=PENDING, attempts_before_requeue=Delivery.attempts, finished_at=None,
                next_attempt_at=func.now(), leased_until=None)
    ).rowcount


_PURGE = text(
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> 'pending'"
    " AND finished_at < now() - :days * interval '1 day' LIMIT :batch FOR UPDATE SKIP LOCKED)"
)


def purge_log(session: Session, days: float, batch: int) -> int:
    """Finished deliveries (and their attempts) older than `days`, a batch of them."""
    return session.execute(_PURGE, {"days": days, "batch": batch}).rowcount

