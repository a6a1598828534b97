"""The notifications service's operations (contracts.operation)."""

from contracts.notifications import NotificationSchema
from contracts.operation import Http, Operation, page_of
from wire.access import SIGNED_IN
from wire.errors import Invalid, NotFound
from wire.pagination import PageQuerySchema

LIST_NOTIFICATIONS = Operation(
    id="listNotifications",
    service="notifications",
    method="list_notifications",
    access=SIGNED_IN,
    doc="Your notifications, newest first.",
    query=PageQuerySchema,
    reply=page_of(NotificationSchema),
    errors=(NotFound, Invalid),
    http=Http("GET", "/notifications", "orders"),
)
