"""The processes of the whole system, and starting and stopping them as local processes.

`make run` runs these commands under supervisord (scripts/supervisor.py); the end-to-end and
reliability tests start them here, one Popen each, against their own vhost and databases, so
that a process they kill stays dead until they restart it."""

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from plumbing.broker import amqp_uri_for
from plumbing.config import PROJECT_ROOT, load_config, project_path
from plumbing.redis_users import redis_uri_for

# package -> service class, named so that `nameko run` doesn't take mixins for services.
SERVICES = {
    "users": "UsersService",
    "products": "ProductsService",
    "orders": "OrdersService",
    "payments": "PaymentsService",
    "notifications": "NotificationsService",
    "order_queries": "OrderQueriesService",
    "webhooks": "WebhooksService",
}
GATEWAY = "gateway"
VENV_BIN = Path(sys.executable).parent


def service_classes() -> list[type]:
    return [getattr(importlib.import_module(f"{package}.service"), name) for package, name in SERVICES.items()]


def service_command(service: str, config_path: str = "config.yaml") -> list[str]:
    return [str(VENV_BIN / "nameko"), "run", "--config", config_path, f"{service}.service:{SERVICES[service]}"]


def gateway_command() -> list[str]:
    return [str(VENV_BIN / "gunicorn"), "--config", "gateway/gunicorn.conf.py", "gateway.app:create_app()"]


def process_credentials(config: dict, principal: str) -> dict[str, str]:
    """The environment that makes a process connect to the broker and Redis as its own users."""
    return {"AMQP_URI": amqp_uri_for(config, principal), "REDIS_URI": redis_uri_for(config, principal)}


def wait_until_ready(url: str, timeout: float, check_alive=None, verify: str | bool = True) -> None:
    """Until `url`/readyz answers 200 (`verify`: the CA of its certificate); `check_alive()` may
    raise to give up early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check_alive is not None:
            check_alive()
        try:
            if requests.get(f"{url}/readyz", timeout=3, verify=verify).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or a readiness check still waiting on a service
        time.sleep(0.3)
    raise TimeoutError(f"the system was not ready within {timeout} s")


class System:
    """Every process connects to the broker and to Redis as its own user (`plumbing.broker`,
    `plumbing.redis_users`), built from `config` (config.yaml as this process reads it)."""

    def __init__(
        self, env: dict | None = None, port: int = 8000, log_dir: Path | None = None, config: dict | None = None
    ):
        self.env = {**os.environ, **(env or {}), "GATEWAY_PORT": str(port), "PYTHONPATH": str(PROJECT_ROOT)}
        self.config = config or load_config()
        self.port = port
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        scheme = "https" if self.env.get("GATEWAY_TLS_CERT") else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> str | bool:
        """What an HTTP client checks the gateway's certificate against (a self-signed one is its own CA)."""
        cert = self.env.get("GATEWAY_TLS_CERT")
        return str(project_path(cert)) if cert else True

    def start_service(self, service: str, instance: str | None = None, env: dict | None = None) -> subprocess.Popen:
        """`service` as the process `instance` (its name; the service's by default), with `env`
        on top of the system's environment."""
        command = service_command(service, self.env.get("OMS_CONFIG", "config.yaml"))
        return self._spawn(instance or service, service, command, env)

    def start_gateway(self) -> subprocess.Popen:
        env = None
        if self.log_dir is not None:  # its metrics files beside the logs, not in the project's var/
            env = {"PROMETHEUS_MULTIPROC_DIR": str(self.log_dir / "gateway-metrics")}
        return self._spawn(GATEWAY, GATEWAY, gateway_command(), env)

    def start(self, timeout: float = 60) -> None:
        for service in SERVICES:
            self.start_service(service)
        self.start_gateway()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        def check_alive():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")

        wait_until_ready(self.url, timeout, check_alive, self.verify)

    def stop(self, name: str | None = None, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        names = [name] if name else list(self.processes)
        for each in names:
            if self.processes[each].poll() is None:
                self.processes[each].send_signal(sig)
        for each in names:
            process = self.processes.pop(each)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self, name: str, lines: int = 30) -> str:
        if self.log_dir is None:
            return "(output went to the terminal)"
        return "\n".join((self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])

    def _spawn(self, name: str, principal: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**self.env, **process_credentials(self.config, principal), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops them in order
        )
        self.processes[name] = process
        return process
