"""The saga's own series: how long an order takes from placement to confirmation."""

from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import Histogram

# Payment normally follows within a second; the long tail ends at the reservation's TTL.
CONFIRMATION_SECONDS = Histogram(
    "oms_order_confirmation_seconds",
    "From an order's placement (its created_at) to its confirmation after payment.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)


def observe_confirmation(created_at: datetime) -> Callable[[], None]:
    """What the confirming handler runs after its commit (`uow.after_commit`): observed once (a
    rolled-back attempt is retried, and must not count twice). created_at is the database's
    clock, the observation this process's: both on one host, or kept in sync by NTP."""
    return lambda: CONFIRMATION_SECONDS.observe((datetime.now(UTC) - created_at).total_seconds())
