"""CPU seconds per process group, from /proc/<pid>/stat utime + stime deltas.

A sampler thread reads every process a few times a second during a run. Each process (a pid and
its start time, so a reused pid is a new process) contributes its last reading minus its first;
a process born during the run starts from zero. A process is in a group by what it is or by an
ancestor: the gateway (gunicorn master and its workers), each service, RabbitMQ (beam.smp and
its helpers), PostgreSQL (every `postgres` process: server-wide, shared with anything else using
it), Redis, the load generator (measured separately, by wait4). The rest of the machine is
`other`: noise from whatever else runs here."""

import os
import threading
import time
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK")
SERVICE_GROUPS = ("users", "products", "orders", "order_queries", "payments", "notifications", "webhooks")
GROUPS = ("gateway", *SERVICE_GROUPS, "rabbitmq", "postgresql", "redis", "wrk", "other")


@dataclass
class Proc:
    pid: int
    comm: str
    ppid: int
    ticks: int
    start: int


def read_processes() -> dict[int, Proc]:
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stream:
                stat = stream.read()
        except OSError:
            continue  # gone meanwhile
        close = stat.rindex(")")
        rest = stat[close + 2 :].split()
        # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
        pid = int(entry.name)
        processes[pid] = Proc(pid, stat[stat.index("(") + 1 : close], int(rest[1]), int(rest[11]) + int(rest[12]),
                              int(rest[19]))
    return processes


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            return stream.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as stream:
        values = [int(v) for v in stream.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already in user/nice
    return total - idle, total


class Classifier:
    """Which group a process belongs to. `roots` maps a group to the pid of its root process (our
    own system); without roots, services and the gateway are recognised by their command line."""

    def __init__(self, roots: dict[str, int] | None = None, exclude: set[int] | None = None,
                 database_prefix: str | None = None):
        self.roots = {pid: name for name, pid in (roots or {}).items()}
        self.exclude = exclude or set()
        self.database_prefix = database_prefix
        self._by_cmdline: dict[tuple[int, int], str | None] = {}

    def _postgres(self, proc: Proc) -> str | None:
        """A backend serving another database (another system, a test suite) is not ours."""
        if self.database_prefix is None:
            return "postgresql"
        key = (proc.pid, proc.start)
        if key not in self._by_cmdline:
            # "postgres: 15/main: <user> <database> <client> <state>"; server processes have no client.
            words = cmdline(proc.pid).split()
            client = len(words) > 4 and words[0] == "postgres:" and ("(" in words[4] or words[4] == "[local]")
            database = words[3] if client else None
            ours = database is None or database.startswith(self.database_prefix)
            self._by_cmdline[key] = "postgresql" if ours else None
        return self._by_cmdline[key]

    def _own(self, proc: Proc) -> str | None:
        if proc.pid in self.roots:
            return self.roots[proc.pid]
        if proc.comm == "beam.smp":
            return "rabbitmq"
        if proc.comm == "postgres":
            return self._postgres(proc) or "other"
        if proc.comm.startswith("redis-server"):
            return "redis"
        if self.roots or proc.comm not in ("python", "python3", "python3.11", "gunicorn", "nameko"):
            return None
        key = (proc.pid, proc.start)
        if key not in self._by_cmdline:
            line = cmdline(proc.pid)
            found = None
            if "gunicorn" in line and "gateway.app" in line:
                found = "gateway"
            elif "nameko" in line and " run " in line:
                found = next((s for s in SERVICE_GROUPS if f"{s}.service:" in line), None)
            self._by_cmdline[key] = found
        return self._by_cmdline[key]

    def group(self, pid: int, processes: dict[int, Proc]) -> str | None:
        seen = 0
        while pid in processes and seen < 64:
            if pid in self.exclude:
                return None
            own = self._own(processes[pid])
            if own:
                return own
            pid, seen = processes[pid].ppid, seen + 1
        return "other"


def group_roots(classifier: Classifier, group: str) -> list[int]:
    """The topmost processes of a group (e.g. the gunicorn master), for py-spy."""
    processes = read_processes()
    members = {pid for pid in processes if classifier.group(pid, processes) == group}
    return sorted(pid for pid in members if processes[pid].ppid not in members)


@dataclass
class CpuSampler:
    classifier: Classifier
    interval: float = 0.5
    first: dict[tuple[int, int], int] = field(default_factory=dict)
    last: dict[tuple[int, int], int] = field(default_factory=dict)
    groups: dict[tuple[int, int], str] = field(default_factory=dict)

    def __enter__(self):
        self._stop = threading.Event()
        self._sample(baseline=True)
        self._busy0 = machine_busy_ticks()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()
        self._sample()
        busy1 = machine_busy_ticks()
        self.wall = time.monotonic() - self._t0
        self.machine_busy = (busy1[0] - self._busy0[0]) / TICKS
        self.machine_total = (busy1[1] - self._busy0[1]) / TICKS

    def _loop(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self, baseline: bool = False):
        processes = read_processes()
        for pid, proc in processes.items():
            key = (pid, proc.start)
            if key not in self.groups:
                group = self.classifier.group(pid, processes)
                self.groups[key] = group
                self.first[key] = proc.ticks if baseline else 0
            self.last[key] = proc.ticks

    def seconds(self) -> dict[str, float]:
        totals = dict.fromkeys(GROUPS, 0.0)
        for key, group in self.groups.items():
            if group is not None:
                totals[group] += (self.last[key] - self.first[key]) / TICKS
        return totals
