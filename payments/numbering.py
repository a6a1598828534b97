"""Gap-free document numbers: INV-<year>-<6 digits> and CN-<year>-<6 digits>, per calendar year (UTC).

The number comes from the year's row in `document_counters`, moved on by one in the transaction
that stores the document (an upsert: the first document of a year creates the row). The row stays
locked until that transaction ends, so documents are numbered one after the other, in every
instance: a transaction that rolls back, or whose process dies, gives its number back with it,
and the next one takes it. A database sequence would not: its values are never given back. So
the allocation is the last step before the insert and the commit, and nothing slow (an RPC) may
run after it."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from payments import repository
from wire.errors import Unavailable


@dataclass(frozen=True)
class DocumentKind:
    name: str  # document_counters.kind
    prefix: str


INVOICE = DocumentKind("invoice", "INV")
CREDIT_NOTE = DocumentKind("credit_note", "CN")


@dataclass(frozen=True)
class Allocation:
    number: str
    year: int
    sequence: int
    issued_at: datetime

    def columns(self) -> dict:
        """The document's columns that say its number and issue time."""
        return {"number": self.number, "year": self.year, "sequence": self.sequence, "issued_at": self.issued_at}


def format_number(kind: DocumentKind, year: int, sequence: int) -> str:
    return f"{kind.prefix}-{year}-{sequence:06d}"


def allocate(session: Session, kind: DocumentKind, pause_after: float = 0) -> Allocation:
    """The next number of `kind` for this year, in the caller's transaction (which must commit
    soon: every other document of the kind waits for it). `pause_after` seconds of sleep once
    the number is taken: a test hook, to kill the process between allocating and committing."""
    year = datetime.now(UTC).year
    sequence, issued_at = repository.next_number(session, kind.name, year)
    if issued_at.astimezone(UTC).year != year:
        # It waited for the counter across midnight of 31 December: the number belongs to the old
        # year but the time to the new one. Rolled back by the caller, it is asked again.
        raise Unavailable("The year turned while this document waited for its number; try again.")
    if pause_after:
        time.sleep(pause_after)
    return Allocation(format_number(kind, year, sequence), year, sequence, issued_at)
