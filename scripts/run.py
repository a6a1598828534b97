"""`make run`: prepare the databases, seed a demo, start every service and the gateway,
and stop them all on Ctrl-C."""

import os
import signal
import sys

from plumbing.config import load_config
from plumbing.migrations import upgrade_all
from plumbing.production import SETUP, refuse_unsafe_production
from scripts.provision import provision_all
from scripts.seed import seed
from scripts.system import System
from users.tokens import generate_key_pair


def main() -> int:
    config = load_config()
    refuse_unsafe_production(config, SETUP)
    generate_key_pair(config["AUTH"])
    upgrade_all(config)
    provision_all(config)
    seed(config)
    system = System(port=int(os.environ.get("GATEWAY_PORT", "8000")), config=config)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the pause below when a child dies
    try:
        system.start()
        print(f"\nOMS is running: gateway at {system.url}  (API docs: {system.url}/docs)")
        print("Press Ctrl-C to stop.\n", flush=True)
        while all(process.poll() is None for process in system.processes.values()):
            signal.pause()
        exited = [name for name, process in system.processes.items() if process.poll() is not None]
        print(f"stopping: {', '.join(exited)} exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        system.stop()


if __name__ == "__main__":
    sys.exit(main())
