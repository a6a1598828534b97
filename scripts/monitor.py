"""`make monitor`: Prometheus and Alertmanager (Debian's `prometheus`, `prometheus-alertmanager`)
for the system `make run` runs, with the webhook receiver Alertmanager sends to, in the
foreground until Ctrl-C; alerts are printed as they arrive (scripts/alert_receiver.py).

Prometheus scrapes deploy/prometheus.yml's jobs on the ports config.yaml's METRICS.PORTS give (so
their environment overrides hold) and the broker's vhost of AMQP_URI, and evaluates
deploy/alerts.yml; Alertmanager routes with deploy/alertmanager.yml. Their generated configs and
data live in OMS_MONITOR_DIR (default var/monitor). Ports: PROMETHEUS_PORT (9090),
ALERTMANAGER_PORT (9093), ALERT_RECEIVER_PORT (9095)."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from plumbing.broker import vhost_of
from plumbing.config import PROJECT_ROOT, load_config
from scripts.alert_receiver import AlertReceiver, print_alerts

DEPLOY = PROJECT_ROOT / "deploy"
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


def deployed(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def prometheus_config(metrics_ports: dict[str, int], vhost: str, alertmanager: str) -> dict:
    """deploy/prometheus.yml with these metrics ports (by process), the broker's per-queue series
    of this vhost, and this Alertmanager (host:port)."""
    config = deployed("prometheus.yml")
    for job in config["scrape_configs"]:
        if job["job_name"] == "rabbitmq":
            job["params"]["vhost"] = [vhost]
            continue
        for target in job["static_configs"]:
            target["targets"] = [f"127.0.0.1:{metrics_ports[target['labels']['process']]}"]
    config["alerting"]["alertmanagers"] = [{"static_configs": [{"targets": [alertmanager]}]}]
    return config


def alertmanager_config(receiver_url: str) -> dict:
    """deploy/alertmanager.yml sending to this webhook receiver."""
    config = deployed("alertmanager.yml")
    [receiver] = config["receivers"]
    receiver["webhook_configs"][0]["url"] = receiver_url
    return config


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class Monitoring:
    """Prometheus and Alertmanager started on these ports with these configs, their files in
    `directory`; `stop` ends both."""

    directory: Path
    prometheus_port: int
    alertmanager_port: int
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager_port}"

    def start(self, prometheus: dict, alerts: dict, alertmanager: dict) -> "Monitoring":
        self.directory.mkdir(parents=True, exist_ok=True)
        files = {"prometheus.yml": prometheus, "alerts.yml": alerts, "alertmanager.yml": alertmanager}
        for name, content in files.items():
            (self.directory / name).write_text(yaml.safe_dump(content, sort_keys=False))
        with (self.directory / "monitor.log").open("ab") as log:  # the children keep it open
            self.processes.append(subprocess.Popen(
                ["prometheus-alertmanager", f"--config.file={self.directory / 'alertmanager.yml'}",
                 f"--storage.path={self.directory / 'alertmanager'}",
                 f"--web.listen-address=127.0.0.1:{self.alertmanager_port}",
                 "--cluster.listen-address=",  # one instance: no gossip port
                 ], stdout=log, stderr=log))
            self.processes.append(subprocess.Popen(
                ["prometheus", f"--config.file={self.directory / 'prometheus.yml'}",
                 f"--storage.tsdb.path={self.directory / 'prometheus'}",
                 f"--web.listen-address=127.0.0.1:{self.prometheus_port}"], stdout=log, stderr=log))
        return self

    def ready(self) -> bool:
        if any(process.poll() is not None for process in self.processes):
            raise RuntimeError(f"Prometheus or Alertmanager exited: see {self.directory / 'monitor.log'}")
        return _ready(self.prometheus_url) and _ready(self.alertmanager_url)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> int:
    config = load_config()
    directory = Path(os.environ.get("OMS_MONITOR_DIR", "var/monitor"))
    directory = directory if directory.is_absolute() else PROJECT_ROOT / directory
    ports = {name: int(port) for name, port in config["METRICS"]["PORTS"].items() if port not in (None, "")}
    receiver = AlertReceiver(int(os.environ.get("ALERT_RECEIVER_PORT", "9095")), print_alerts)
    monitoring = Monitoring(directory, int(os.environ.get("PROMETHEUS_PORT", "9090")),
                            int(os.environ.get("ALERTMANAGER_PORT", "9093")))
    monitoring.start(
        prometheus_config(ports, vhost_of(config["AMQP_URI"]), f"127.0.0.1:{monitoring.alertmanager_port}"),
        deployed("alerts.yml"),
        alertmanager_config(receiver.url),
    )
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a `kill` stops it as Ctrl-C does
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not monitoring.ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {READY_TIMEOUT_SECONDS} s: see {directory / 'monitor.log'}")
            time.sleep(0.5)
        print(f"Prometheus at {monitoring.prometheus_url} (alerts: {monitoring.prometheus_url}/alerts), "
              f"Alertmanager at {monitoring.alertmanager_url}, alerts received at {receiver.url}; "
              "Ctrl-C stops them.", flush=True)
        signal.pause()
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        monitoring.stop()
        receiver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
