"""The system as `make run` runs it: `python -m scripts.run` (supervisord and every process under
it), on free ports, with its run directory (config, socket, logs) in a temporary one, and
`make monitor`'s Prometheus and Alertmanager watching it (scripts/monitor.py).

The package's tests share one such system; the last of them (test_supervisor.py) stops it with
Ctrl-C, as a user would."""

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from plumbing.config import PROJECT_ROOT
from scripts.alert_receiver import AlertReceiver, print_alerts
from scripts.monitor import Monitoring, alertmanager_config, deployed, prometheus_config
from scripts.seed import seed
from scripts.supervisor import CONFIG_NAME
from scripts.system import GATEWAY, SERVICES, VENV_BIN, wait_until_ready
from tests.conftest import TEST_VHOST
from tests.e2e.conftest import admin, anonymous, customer, free_port, new_customer, product  # noqa: F401 - fixtures
from tests.polling import wait_until

STOP_TIMEOUT_SECONDS = 90
# The tests' Prometheus scrapes and evaluates every second, and an alert fires once its condition
# has held for a second: they wait for what happens, never for deploy/'s durations.
INTERVAL = "1s"


@dataclass
class MakeRun:
    process: subprocess.Popen
    url: str
    run_dir: Path
    metrics_ports: dict[str, int]  # every service's and the gateway's
    output: list[str] = field(default_factory=list)  # what it printed to the terminal, line by line

    @property
    def config_path(self) -> Path:
        return self.run_dir / CONFIG_NAME

    def status(self) -> dict[str, tuple[str, int | None]]:
        """`make status`, parsed: {program: (state, pid or None)}."""
        listed = subprocess.run(
            ["make", "-s", "status"], cwd=PROJECT_ROOT, env={**os.environ, "OMS_RUN_DIR": str(self.run_dir)},
            capture_output=True, text=True, timeout=30,
        )
        states = {}
        for line in listed.stdout.splitlines():
            name, state, *rest = line.split()
            pid = int(rest[1].rstrip(",")) if state == "RUNNING" else None
            states[name] = (state, pid)
        return states

    def log(self, name: str) -> str:
        return (self.run_dir / "log" / f"{name}.log").read_text(errors="replace")

    def supervisorctl(self, *args: str) -> None:
        """As an operator would: e.g. ("stop", "notifications"); start waits until it runs."""
        subprocess.run([str(VENV_BIN / "supervisorctl"), "-c", str(self.config_path), *args], check=True,
                       capture_output=True, timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> int:
        """Ctrl-C: SIGINT to the whole foreground process group (scripts.run and supervisord)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(STOP_TIMEOUT_SECONDS)


@pytest.fixture(scope="package")
def make_run(config, tmp_path_factory, test_infrastructure):
    run_dir = tmp_path_factory.mktemp("run")
    port = free_port()
    metrics_ports = {process: free_port() for process in [*SERVICES, GATEWAY]}
    env = {
        **os.environ,
        "OMS_RUN_DIR": str(run_dir),
        "GATEWAY_PORT": str(port),
        "RPC_TIMEOUT": "2",
        **{f"{service.upper()}_METRICS_PORT": str(metrics_port) for service, metrics_port in metrics_ports.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.run"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,  # its own group, as a terminal's job
    )
    running = MakeRun(process, f"http://127.0.0.1:{port}", run_dir, metrics_ports)
    def read_terminal():
        for line in process.stdout:
            running.output.append(line)

    threading.Thread(target=read_terminal, daemon=True).start()

    def check_alive():
        if process.poll() is not None:
            raise RuntimeError(f"make run exited with {process.returncode}:\n" + "".join(running.output[-40:]))

    try:
        wait_until_ready(running.url, 120, check_alive)
        seed(config)  # scripts.run seeded already; the e2e fixtures expect the admin account
        yield running
    finally:
        try:
            running.stop()
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="package")
def system(make_run):
    """What the e2e fixtures (admin, customer, product ...) need: the gateway's url."""
    return make_run


@dataclass
class Watching:
    prometheus: str  # its URL
    receiver: AlertReceiver  # where Alertmanager sends


@pytest.fixture(scope="package")
def monitoring(make_run, tmp_path_factory):
    """`make monitor`'s Prometheus and Alertmanager on free ports, with deploy/'s configs and rules
    made quick (INTERVAL), sending to a receiver of the test's."""
    receiver = AlertReceiver(0, print_alerts)  # printed: pytest shows what arrived when a test fails
    running = Monitoring(tmp_path_factory.mktemp("monitor"), free_port(), free_port())
    prometheus = prometheus_config(make_run.metrics_ports, TEST_VHOST, f"127.0.0.1:{running.alertmanager_port}")
    prometheus["global"].update(scrape_interval=INTERVAL, evaluation_interval=INTERVAL)
    alerts = deployed("alerts.yml")
    for group in alerts["groups"]:
        for rule in group["rules"]:
            rule["for"] = INTERVAL
    alertmanager = alertmanager_config(receiver.url)
    alertmanager["route"].update(group_wait="0s", group_interval=INTERVAL)
    try:
        running.start(prometheus, alerts, alertmanager)
        wait_until(running.ready, 60, interval=0.3, what="Prometheus and Alertmanager to be ready")
        yield Watching(running.prometheus_url, receiver)
    finally:
        running.stop()
        receiver.close()
