"""notifications' own series: deliveries by channel and outcome, so failing mail alerts
(deploy/alerts.yml) before anyone reads a log or a dead letter."""

from prometheus_client import Counter

SENT, FAILED = "sent", "failed"

DELIVERIES = Counter(
    "oms_mail_deliveries",
    "Notifications handed to their channel (smtp, or log when no SMTP host is set), by outcome; "
    "a failed attempt is retried with its event.",
    ["channel", "outcome"],
)
