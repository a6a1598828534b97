"""The system as `make run` runs it: `python -m scripts.run` (supervisord and every process under
it), on free ports, with its run directory (config, socket, logs) in a temporary one.

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
from scripts.seed import seed
from scripts.supervisor import CONFIG_NAME
from scripts.system import GATEWAY, SERVICES, wait_until_ready
from tests.e2e.conftest import admin, anonymous, customer, free_port, new_customer, product  # noqa: F401 - fixtures

STOP_TIMEOUT_SECONDS = 90


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
