"""Config WEBHOOKS, read once per container."""

from dataclasses import dataclass

from plumbing.production import is_production


def _seconds(value) -> tuple[float, ...]:
    if isinstance(value, list | tuple):
        return tuple(float(each) for each in value)
    return tuple(float(each) for each in str(value).split(",") if each.strip())


@dataclass(frozen=True)
class Settings:
    retry_schedule: tuple[float, ...]  # seconds before the 2nd, 3rd, ... attempt
    jitter: float  # each wait is drawn from ±jitter of its value
    attempt_timeout: float
    concurrency: int  # attempts under way at once, per instance
    per_endpoint_concurrency: int  # of which to one endpoint, across instances
    poll_interval: float
    ordering_grace: float  # a new delivery waits this long for an earlier event of its order
    disable_after: float  # an endpoint failing every attempt this long is disabled
    response_body_cap: int
    log_retention_days: float
    production: bool

    @classmethod
    def from_config(cls, config: dict) -> "Settings":
        section = config.get("WEBHOOKS", {})
        return cls(
            retry_schedule=_seconds(section.get("RETRY_SCHEDULE", "5,30,120,600,1800,3600,7200,14400,28800,28800")),
            jitter=float(section.get("RETRY_JITTER", 0.2)),
            attempt_timeout=float(section.get("ATTEMPT_TIMEOUT_SECONDS", 10)),
            concurrency=int(section.get("CONCURRENCY", 20)),
            per_endpoint_concurrency=int(section.get("PER_ENDPOINT_CONCURRENCY", 4)),
            poll_interval=float(section.get("POLL_INTERVAL_SECONDS", 0.5)),
            ordering_grace=float(section.get("ORDERING_GRACE_SECONDS", 0.2)),
            disable_after=float(section.get("DISABLE_AFTER_SECONDS", 86400)),
            response_body_cap=int(section.get("RESPONSE_BODY_CAP", 4096)),
            log_retention_days=float(section.get("LOG_RETENTION_DAYS", 30)),
            production=is_production(config),
        )

    @property
    def lease(self) -> float:
        """How long a claimed delivery is left to its attempt before another may take it."""
        return self.attempt_timeout + 5
