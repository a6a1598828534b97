"""supervisord for `make run`: its config, generated from scripts/system.py's processes, and a
follower that shows their logs on the terminal.

Every process (the services, then the gateway) is a supervisord program. One that dies is started
again at once; one that dies again within STARTSECS is retried after 1, 2, 3 ... s, up to
STARTRETRIES times, then left FATAL (`make status` shows it). The others keep running throughout.
On Ctrl-C (SIGINT or SIGTERM to supervisord) the gateway stops first (it has the higher
priority), then the services, each with its whole process group (gunicorn's workers too).

Each program's output goes to `<run dir>/log/<program>.log` (rotated by supervisord). supervisord
can't also send it to its own terminal, so `LogFollower` reads the files and prints new lines,
prefixed by the program. A follower of files is the simplest robust tee: it adds nothing to the
programs' path (an event listener for log events would be one more supervised process, and one
that falls behind makes supervisord buffer), and if the terminal is slow or gone the logs and the
programs don't notice. supervisord itself logs (spawned, exited, stopped) to the terminal too."""

import os
import shlex
import sys
from pathlib import Path
from typing import TextIO

from plumbing.config import PROJECT_ROOT
from scripts.system import GATEWAY, SERVICES, gateway_command, process_credentials, service_command

CONFIG_NAME = "supervisord.conf"
SOCKET_NAME = "supervisor.sock"
SERVICE_PRIORITY, GATEWAY_PRIORITY = 100, 200  # lower starts first and stops last
STARTSECS = 5  # a process up this long has started; one that dies sooner is retried with backoff
STARTRETRIES = 20  # 1 + 2 + ... + 20 s of backoff (3.5 minutes) before it is left FATAL
STOPWAITSECS = 20  # then SIGKILL to the process group
LOG_MAXBYTES, LOG_BACKUPS = "50MB", 5


def programs() -> dict[str, list[str]]:
    """Every process of the system by program name, with its command."""
    config = os.environ.get("OMS_CONFIG", "config.yaml")
    return {**{service: service_command(service, config) for service in SERVICES}, GATEWAY: gateway_command()}


def _value(text: str) -> str:
    return text.replace("%", "%%")  # supervisord expands %(name)s in values


def config_text(run_dir: Path, config: dict) -> str:
    """supervisord's config; each program connects to the broker and Redis as its own users
    (`config`'s BROKER and REDIS passwords), the gateway's and the services' names being their
    principals."""
    log_dir = run_dir / "log"
    socket = run_dir / SOCKET_NAME
    sections = [
        f"""[supervisord]
nodaemon=true
user={os.getuid()}
logfile={_value(str(log_dir / "supervisord.log"))}
pidfile={_value(str(run_dir / "supervisord.pid"))}
childlogdir={_value(str(log_dir))}
environment=PYTHONPATH="{_value(str(PROJECT_ROOT))}"

[unix_http_server]
file={_value(str(socket))}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{_value(str(socket))}
"""
    ]
    for name, command in programs().items():
        environment = process_credentials(config, name)
        if name == GATEWAY:  # the workers' metrics files (gateway/metrics.py)
            environment["PROMETHEUS_MULTIPROC_DIR"] = str(run_dir / "prometheus" / GATEWAY)
        extra = "environment=" + ",".join(f'{key}="{_value(value)}"' for key, value in environment.items()) + "\n"
        sections.append(
            f"""[program:{name}]
command={_value(shlex.join(command))}
directory={_value(str(PROJECT_ROOT))}
priority={GATEWAY_PRIORITY if name == GATEWAY else SERVICE_PRIORITY}
autostart=true
autorestart=true
startsecs={STARTSECS}
startretries={STARTRETRIES}
stopsignal=TERM
stopwaitsecs={STOPWAITSECS}
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile={_value(str(log_dir / f"{name}.log"))}
stdout_logfile_maxbytes={LOG_MAXBYTES}
stdout_logfile_backups={LOG_BACKUPS}
{extra}"""
        )
    return "\n".join(sections)


def write_config(run_dir: Path, config: dict) -> Path:
    """Write `<run dir>/supervisord.conf` (and make its log directory); its path. Only its owner
    may read it: it holds the broker users' passwords."""
    (run_dir / "log").mkdir(parents=True, exist_ok=True)
    path = run_dir / CONFIG_NAME
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(config_text(run_dir, config))
    return path


class LogFollower:
    """Prints the lines appended to each program's log file, as `<program> | <line>`.

    Starts at the files' current ends (earlier runs are in the files, not on the terminal), and
    starts a file over when supervisord has rotated it."""

    def __init__(self, log_dir: Path, names: list[str], out: TextIO = sys.stdout):
        self.out = out
        self.width = max(len(name) for name in names)
        self.files = {name: log_dir / f"{name}.log" for name in names}
        self.offsets = {name: self._size(path) for name, path in self.files.items()}
        self.partial = dict.fromkeys(names, b"")

    @staticmethod
    def _size(path: Path) -> int:
        return path.stat().st_size if path.exists() else 0

    def poll(self) -> None:
        """Print what was appended since the last poll (complete lines only)."""
        for name, path in self.files.items():
            size = self._size(path)
            if size < self.offsets[name]:  # rotated: the new file holds only new lines
                self.offsets[name], self.partial[name] = 0, b""
            if size == self.offsets[name]:
                continue
            with path.open("rb") as stream:
                stream.seek(self.offsets[name])
                chunk = stream.read(size - self.offsets[name])
            self.offsets[name] += len(chunk)
            *lines, self.partial[name] = (self.partial[name] + chunk).split(b"\n")
            for line in lines:
                self.out.write(f"{name:<{self.width}} | {line.decode(errors='replace')}\n")
        self.out.flush()
