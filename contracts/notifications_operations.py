"""The notifications service's operations (contracts.operation)."""

from contracts.notifications import NotificationSchema
from contracts.operation import Http, Operation, page_of
from wire.access import SIGNED_IN
from wire.errors import Invalid
from wire.pagination import PageQuerySchema

LIST_NOTIFICATIONS = Operation(
    id="listNotifications",
    service="notifications",
    method="list_notifications",
    access=SIGNED_IN,
    doc="Your notifications, newest first.",
    query=PageQuerySchema,
    reply=page_of(NotificationSchema),
    errors=(Invalid,),  # the route asks for the caller's own: never another user's (NotFound)
    http=Http("GET", "/notifications", "orders"),
)
