"""The operations of plumbing's mixins, the same on every service that has the mixin:
MeshService.ping, DeadLetterOperations' list/replay/discard (operators, in `nameko shell`)."""

from contracts.operation import EVERY_SERVICE, Operation
from wire.access import ADMIN_ONLY, PUBLIC
from wire.errors import Conflict, Invalid, NotFound, Unavailable

PING = Operation(
    id="ping",
    service=EVERY_SERVICE,
    method="ping",
    access=PUBLIC,
    doc="Answers pong when the service is up, consuming, and holds a client token its peers accept.",
    errors=(Unavailable,),
)
LIST_DEAD_LETTERS = Operation(
    id="listDeadLetters",
    service=EVERY_SERVICE,
    method="list_dead_letters",
    access=ADMIN_ONLY,
    doc="Dead letters, oldest first, one page at a time (operators).",
    errors=(Invalid,),
)
REPLAY_DEAD_LETTER = Operation(
    id="replayDeadLetter",
    service=EVERY_SERVICE,
    method="replay_dead_letter",
    access=ADMIN_ONLY,
    doc="Run a dead letter's handler once more; removed when it succeeds (operators).",
    errors=(NotFound, Conflict),
)
DISCARD_DEAD_LETTER = Operation(
    id="discardDeadLetter",
    service=EVERY_SERVICE,
    method="discard_dead_letter",
    access=ADMIN_ONLY,
    doc="Set a dead letter aside without handling it (operators).",
    errors=(NotFound,),
)
