"""Payloads and their signatures, as the Standard Webhooks specification says
(https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret that signs, space separated),
made by the specification's own library, so receivers verify with theirs."""

import base64
import json
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

from contracts.webhooks import webhook_type

USER_AGENT = "oms-webhooks/1"
# The envelope's fields; `data` is the event's own fields (the resource as the events carry it).
ENVELOPE_FIELDS = ("event_id", "event_type", "version", "occurred_at")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def payload_body(event: dict, kind: str | None = None) -> str:
    """The JSON body delivered for `event` (a received payload): {type, id, timestamp, version,
    data}; `kind` the webhook type, by default the event's."""
    body = {
        "type": kind or webhook_type(event["event_type"]),
        "id": str(event["event_id"]),
        "timestamp": event["occurred_at"],
        "version": event["version"],
        "data": {key: value for key, value in event.items() if key not in ENVELOPE_FIELDS},
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def signed_headers(message_id: str, body: str, secrets_: list[str], now: datetime | None = None) -> dict[str, str]:
    """The request's headers, signed by each of `secrets_` (the current one first)."""
    now = now or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets_),
    }
