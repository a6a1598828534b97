"""Operator RPCs over a service's dead letters (events its handlers gave up on).

Mixed into every service that handles events (see `plumbing.handlers`); meant for operators in
`nameko shell` (an admin's token, see operations/session.py), not exposed through the gateway:

    rpc.payments.list_dead_letters()
    rpc.payments.replay_dead_letter("<id>")
    rpc.payments.discard_dead_letter("<id>")"""

from marshmallow import Schema, fields
from sqlalchemy import func, select

from contracts.events import parse_event
from contracts.mesh_operations import DISCARD_DEAD_LETTER, LIST_DEAD_LETTERS, REPLAY_DEAD_LETTER
from plumbing.callers import Caller, rpc
from plumbing.handlers import handler_spec, run_handler
from plumbing.pagination import fetch_page
from wire.errors import Conflict, NotFound
from wire.pagination import PageQuerySchema, PageRequest, paged
from wire.validation import load


class DeadLetterSchema(Schema):
    id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    source_service = fields.String()
    handler = fields.String()
    payload = fields.Raw()
    error = fields.String()
    attempts = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


dead_letter_schema = DeadLetterSchema()


class DeadLetterOperations:
    """Mixin for a service with `uow` and `handler_tables` (see `plumbing.handlers`). Adds the
    RPCs list_dead_letters, replay_dead_letter and discard_dead_letter, for admins."""

    NEEDS = ("uow", "handler_tables")  # what the service must declare (tests/unit/test_service_shape.py)

    caller = Caller()

    @rpc(LIST_DEAD_LETTERS)
    def list_dead_letters(self, page: int = 1, page_size: int = 20) -> dict:
        """Dead letters, oldest first, one page at a time: {items, page, page_size, total}.
        Each item: {id, event_id, event_type, source_service, handler, payload, error, attempts,
        created_at, updated_at}."""
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        model = self.handler_tables.dead_letters
        waiting = select(model).where(model.discarded_at.is_(None)).order_by(model.created_at, model.id)
        with self.uow() as uow:
            rows, total = fetch_page(uow.session, waiting, page)
            return paged(dead_letter_schema.dump(rows, many=True), page, total)

    @rpc(REPLAY_DEAD_LETTER)
    def replay_dead_letter(self, dead_letter_id: str) -> dict:
        """Run the dead letter's handler once more on its payload. On success the dead letter is
        removed (in the handler's transaction) and {id, outcome: "processed"} returned, or
        outcome "already_processed" if the event had been handled since. On failure it stays,
        with its attempts and error updated, and Conflict is raised. NotFound if there is none."""
        with self.uow() as uow:  # no transaction held open while the handler runs
            dead = self._dead_letter(uow, dead_letter_id)
            dead_id, handler, payload = dead.id, dead.handler, dead.payload
        spec = handler_spec(type(self), handler)
        if spec is None:
            raise Conflict(f"This service has no handler {handler!r} any more; discard the dead letter.")
        try:
            processed = run_handler(self, spec, parse_event(spec.event_type, payload), dead_letter_id=dead_id)
        except Exception as exc:
            with self.uow() as uow:
                dead = self._dead_letter(uow, dead_id)
                dead.attempts += 1
                dead.error = f"{type(exc).__name__}: {exc}"
                uow.commit()
            raise Conflict(f"The handler failed again: {type(exc).__name__}: {exc}") from exc
        return {"id": dead_id, "outcome": "processed" if processed else "already_processed"}

    @rpc(DISCARD_DEAD_LETTER)
    def discard_dead_letter(self, dead_letter_id: str) -> None:
        """Set a dead letter aside without handling it: it is no longer listed nor replayable, and
        is deleted RETENTION.DISCARDED_DEAD_LETTER_DAYS later (plumbing.retention). NotFound if
        there is none."""
        with self.uow() as uow:
            self._dead_letter(uow, dead_letter_id).discarded_at = func.now()
            uow.commit()

    def _dead_letter(self, uow, dead_letter_id):
        model = self.handler_tables.dead_letters
        dead = uow.session.get(model, dead_letter_id) if isinstance(dead_letter_id, str) else None
        if dead is None or dead.discarded_at is not None:
            raise NotFound("No such dead letter.")
        return dead
