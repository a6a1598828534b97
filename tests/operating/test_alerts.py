"""Alerts end to end: a service of the running system stopped as an operator would
(`supervisorctl stop`) is seen down by Prometheus, which fires deploy/alerts.yml's ProcessDown;
Alertmanager, with deploy/alertmanager.yml, delivers it to a webhook receiver, and delivers its
resolution once the service is started again."""

from scripts.system import SERVICES
from tests.operating.test_supervisor import ready
from tests.polling import wait_until

STOPPED = "notifications"  # the system serves every request without it meanwhile


def received(monitoring, alertname: str, process: str, status: str) -> dict | None:
    """The latest alert so named about the process, as the receiver got it, if in this status."""
    alerts = [alert for alert in monitoring.receiver.alerts()
              if alert["labels"]["alertname"] == alertname and alert["labels"].get("process") == process]
    return alerts[-1] if alerts and alerts[-1]["status"] == status else None


def test_a_stopped_service_is_alerted_to_the_receiver_and_resolved_once_it_is_back(make_run, monitoring):
    assert STOPPED in SERVICES
    make_run.supervisorctl("stop", STOPPED)
    try:
        firing = wait_until(lambda: received(monitoring, "ProcessDown", STOPPED, "firing"), 60, interval=0.2,
                            what=f"ProcessDown for {STOPPED} at the receiver")
    finally:
        make_run.supervisorctl("start", STOPPED)
    assert firing["labels"] == {
        "alertname": "ProcessDown", "severity": "page", "job": "oms-services", "process": STOPPED,
        "instance": f"127.0.0.1:{make_run.metrics_ports[STOPPED]}",
    }
    assert firing["annotations"]["summary"] == f"{STOPPED} is down"

    resolved = wait_until(lambda: received(monitoring, "ProcessDown", STOPPED, "resolved"), 60, interval=0.2,
                          what=f"ProcessDown for {STOPPED} resolved")
    assert resolved["startsAt"] == firing["startsAt"]  # the same alert, ended
    wait_until(lambda: ready(make_run), 60, interval=0.3, what="readyz all ok")
