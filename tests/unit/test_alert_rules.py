"""deploy/alerts.yml: valid for Prometheus (`promtool check rules`), each alert fired and cleared
by deploy/alerts_test.yml (`promtool test rules`, Debian's prometheus: `make test-tools`), and
naming only series the code exports; deploy/prometheus.yml and alertmanager.yml valid too
(tests/operating/test_alerts.py sees an alert arrive for real)."""

import subprocess

import yaml

from plumbing.config import PROJECT_ROOT
from tests.unit.test_monitoring_files import exported_series, series_in  # every exporter imported there

DEPLOY = PROJECT_ROOT / "deploy"
RULES = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
TESTS = yaml.safe_load((DEPLOY / "alerts_test.yml").read_text())
# Exported by services not built yet: the webhooks service (planned) counts its deliveries so.
PLANNED = {"oms_webhook_deliveries_total"}
# What an operator must hear about (issue 27), by alert.
EXPECTED = {"ProcessDown", "ProcessRestartingInALoop", "ErrorsLogged", "DeadLetterStored", "OutboxRowsUnsent",
            "SagaStepOverdue", "ReadModelLagging", "QueueBacklogGrowing", "MailDeliveriesFailing",
            "WebhookDeliveriesFailing"}


def alerts() -> dict[str, dict]:
    return {rule["alert"]: rule for group in RULES["groups"] for rule in group["rules"]}


def promtool(*args: str, tool: str = "promtool") -> subprocess.CompletedProcess:
    return subprocess.run([tool, *args], cwd=DEPLOY, capture_output=True, text=True, timeout=60)


def test_promtool_checks_the_rules():
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_prometheus_and_alertmanager_accept_their_configs():
    for checked in (promtool("check", "config", "prometheus.yml"),  # with the rules it loads
                    promtool("check-config", "alertmanager.yml", tool="amtool")):
        assert checked.returncode == 0, checked.stdout + checked.stderr
    [receiver] = yaml.safe_load((DEPLOY / "alertmanager.yml").read_text())["receivers"]
    assert receiver["webhook_configs"][0]["send_resolved"]  # an alert that clears is told too


def test_every_alert_fires_and_clears_in_promtools_unit_tests():
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = [case for test in TESTS["tests"] for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    # Cleared: an evaluation with none expected after one where it fired.
    cleared = {
        case["alertname"]
        for test in TESTS["tests"]
        for position, case in enumerate(test["alert_rule_test"])
        if not case["exp_alerts"]
        and any(earlier["exp_alerts"] and earlier["alertname"] == case["alertname"]
                for earlier in test["alert_rule_test"][:position])
    }
    assert set(alerts()) == EXPECTED
    assert fired == cleared == EXPECTED


def test_every_alert_has_a_severity_and_says_what_to_do():
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in ("page", "ticket"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_alerts_name_only_series_the_code_exports():
    exported = exported_series() | PLANNED
    for name, rule in alerts().items():
        assert series_in(rule["expr"]) <= exported, f"{name}: {series_in(rule['expr']) - exported}"
