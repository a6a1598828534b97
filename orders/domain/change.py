"""What a decision of the order domain changed: the records (events with their sequences and
history entries) and the lines whose quantities moved. orders/repository.py `apply` writes one;
orders/recording.py publishes its records."""

from dataclasses import dataclass, field

from orders.domain.line import Line


@dataclass(frozen=True)
class Record:
    """One event about the order, under its own sequence, with the status it leaves and the
    history entry it records (None: none)."""

    event_type: str
    fields: dict
    sequence: int
    status: str
    entry: dict | None


@dataclass
class Change:
    """What one decision changed: records in sequence order, lines with their new quantities."""

    records: list[Record] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    paid: bool = False  # the payment was authorized (confirmation)

    @property
    def entries(self) -> list[dict]:
        return [record.entry for record in self.records if record.entry is not None]

    def touch(self, line: Line) -> None:
        """Count `line` among those to write (once)."""
        if not any(each is line for each in self.lines):
            self.lines.append(line)
