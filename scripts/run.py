"""`make run`: prepare the databases, keys and demo data, then run every process under
supervisord in the foreground (scripts/supervisor.py), showing their logs, until Ctrl-C.

OMS_RUN_DIR (default var/) holds supervisord's config, socket and the logs (`log/<process>.log`);
`make status` asks the supervisord found there."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from plumbing.config import PROJECT_ROOT, load_config, project_path
from plumbing.migrations import upgrade_all
from plumbing.production import SETUP, refuse_unsafe_production
from scripts.provision import provision_all
from scripts.seed import seed
from scripts.supervisor import LogFollower, programs, write_config
from scripts.system import VENV_BIN, wait_until_ready
from users.tokens import generate_key_pair

POLL_SECONDS = 0.2
READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 90  # supervisord's own stop waits are shorter


def run_dir() -> Path:
    path = Path(os.environ.get("OMS_RUN_DIR", "var"))
    return path if path.is_absolute() else PROJECT_ROOT / path


def announce_when_ready(url: str, verify: str | bool, metrics: str) -> None:
    try:
        wait_until_ready(url, READY_TIMEOUT_SECONDS, verify=verify)
    except TimeoutError:
        print(f"\nthe system is not ready after {READY_TIMEOUT_SECONDS} s: see `make status`", flush=True)
        return
    print(f"\nOMS is running: gateway at {url}  (API docs: {url}/docs, gateway metrics: {metrics})", flush=True)
    print("`make status` shows every process; Ctrl-C stops them all.\n", flush=True)


def main() -> int:
    config = load_config()
    refuse_unsafe_production(config, SETUP)
    generate_key_pair(config["AUTH"])
    upgrade_all(config)
    provision_all(config)
    seed(config)
    directory = run_dir()
    config_path = write_config(directory, config)
    follower = LogFollower(directory / "log", list(programs()))
    supervisord = subprocess.Popen([str(VENV_BIN / "supervisord"), "-n", "-c", str(config_path)], cwd=PROJECT_ROOT)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a `kill` stops it as Ctrl-C does
    tls = config["GATEWAY"]["TLS_CERT"]
    url = f"{'https' if tls else 'http'}://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}"
    verify = str(project_path(tls)) if tls else True  # a self-signed certificate is its own CA
    metrics_port = config["METRICS"]["PORTS"].get("gateway")
    metrics = f"http://{config['METRICS']['HOST']}:{metrics_port}/metrics" if metrics_port else "off"
    threading.Thread(target=announce_when_ready, args=(url, verify, metrics), daemon=True).start()
    try:
        while supervisord.poll() is None:
            follower.poll()
            time.sleep(POLL_SECONDS)
        follower.poll()
        print(f"supervisord exited with {supervisord.returncode}", file=sys.stderr)
        return supervisord.returncode  # 0 after an orderly shutdown (`supervisorctl shutdown`)
    except KeyboardInterrupt:
        # A Ctrl-C reached supervisord too (one process group), unless this runs in the background.
        print("\nstopping ...", flush=True)
        supervisord.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while supervisord.poll() is None and time.monotonic() < deadline:
            follower.poll()
            time.sleep(POLL_SECONDS)
        if supervisord.poll() is None:
            supervisord.kill()
        follower.poll()
        return 0


if __name__ == "__main__":
    sys.exit(main())
