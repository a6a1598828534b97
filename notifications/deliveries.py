"""Recording and delivering notifications: at most one per (event, recipient)."""

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from notifications.metrics import DELIVERIES, FAILED, SENT
from notifications.models import Notification, Recipient, new_id
from notifications.templates import render
from plumbing.pagination import fetch_page
from wire.pagination import PageRequest

# SQL text: SQLAlchemy never caches a compiled INSERT ... ON CONFLICT construct (see
# plumbing/handlers.py), and this runs for every notification.
_RECORD = text(
    "INSERT INTO notifications (id, event_id, user_id, event, channel, subject, body)"
    " VALUES (:id, :event_id, :user_id, :event, :channel, :subject, :body)"
    " ON CONFLICT ON CONSTRAINT uq_notifications_event_user DO NOTHING RETURNING id"
)

# Not session.get: the ORM's load by primary key cost a quarter of this service's CPU per event.
_RECIPIENT = text("SELECT name, email FROM recipients WHERE user_id = :user_id")


def remember_recipient(session: Session, user_id: str, email: str, name: str) -> None:
    session.execute(
        insert(Recipient)
        .values(user_id=user_id, email=email, name=name)
        .on_conflict_do_update(
            index_elements=[Recipient.user_id], set_={"email": email, "name": name, "updated_at": func.now()}
        )
    )


def notify(session: Session, channel, event_type: str, event: dict, attachments=None) -> str | None:
    """Render, store and deliver the event's notification; the new id, or None when this
    recipient already had it. Delivery happens before the caller commits: a failure rolls the
    record back, so the retry sends again (at least once, never recorded twice).

    `attachments()` gives the message's attachments (channels.Attachment); it is called only
    for a message about to be sent by a channel that carries them (SMTP)."""
    user_id = event["user_id"]
    recipient = session.execute(_RECIPIENT, {"user_id": user_id}).first()
    subject, body = render(event_type, event, recipient.name if recipient else None)
    notification_id = session.execute(
        _RECORD,
        {
            "id": new_id(),
            "event_id": str(event["event_id"]),
            "user_id": user_id,
            "event": event_type,
            "channel": channel.name,
            "subject": subject,
            "body": body,
        },
    ).scalar()
    if notification_id is not None:
        attached = attachments() if attachments is not None and channel.carries_attachments else ()
        try:
            channel.deliver(user_id, recipient.email if recipient else None, subject, body, attached)
        except Exception:
            DELIVERIES.labels(channel.name, FAILED).inc()
            raise
        DELIVERIES.labels(channel.name, SENT).inc()
    return notification_id


def list_notifications(session: Session, user_id: str, page: PageRequest) -> tuple[list[Notification], int]:
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return fetch_page(session, query, page)
