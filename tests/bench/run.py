"""`make bench`: drive the gateway with wrk over loopback and write BENCHMARKS.md (issue 5).

    python -m tests.bench.run [--duration 15] [--profile] [--url http://127.0.0.1:8000]

Without --url it starts its own system (scripts.system.System) on its own RabbitMQ vhost,
databases and Redis db, with rate limits off and the per-call log quiet, and removes them all at
the end. It seeds customers and products through the HTTP API, runs each scenario for a bounded
time, measures CPU per process group, the order saga from the orders database, and optionally
profiles the hottest Python process group with py-spy during an extra order run."""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from plumbing.config import PROJECT_ROOT
from tests.bench import cpu, profile
from tests.bench.report import write_report

LUA = Path(__file__).parent / "lua"
CUSTOMER_PASSWORD = "bench-customer-password"
WORDS = ["enamel", "cotton", "canvas", "walnut", "steel", "linen", "ceramic", "bamboo", "wool", "glass"]
THINGS = ["mug", "shirt", "bag", "lamp", "pen", "bowl", "scarf", "box", "chair", "bottle"]


@dataclass
class Scenario:
    name: str
    title: str
    script: str
    connections: int
    orders: bool = False
    # payments frozen (SIGSTOP) while wrk runs and woken after: its events wait in their queues,
    # then go in full batches (issue 14); only with a system of the harness's own.
    backlog: bool = False


SCENARIOS = [
    Scenario("product", "GET /products/{id} (warm)", "product.lua", 10),
    Scenario("search", "GET /products?q=...", "search.lua", 10),
    Scenario("order1", "POST /orders", "order.lua", 1, orders=True),
    Scenario("order10", "POST /orders", "order.lua", 10, orders=True),
    Scenario("mixed", "mixed shop (browse 10 : search 3 : order 1 : my orders 1)", "mixed.lua", 10, orders=True),
    Scenario("backlog", "POST /orders, payments frozen, then its backlog", "order.lua", 10, orders=True,
             backlog=True),
]


@dataclass
class Result:
    scenario: Scenario
    wrk: dict
    cpu: dict[str, float]
    wall: float
    machine_busy: float
    machine_total: float
    saga: dict | None = None
    extra: dict = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# -- the system under test --------------------------------------------------------------------


class OwnSystem:
    """The system on its own vhost, databases, Redis db and key pair, set up like tests/conftest.py."""

    def __init__(self, namespace: str, redis_db: int, workdir: Path):
        self.namespace = namespace
        self.key_dir = workdir / "keys"
        self.log_dir = workdir / "logs"
        keys = yaml.safe_load((PROJECT_ROOT / "config.yaml").read_text())["DB_URIS"]
        self.databases = {key.split(":")[0]: f"{namespace}_{key.split(':')[0]}" for key in keys}
        os.environ.update(
            {
                # The operator's broker user; every process of the system gets its own (scripts/system.py).
                "AMQP_URI": f"pyamqp://{namespace}-operator:dev-broker-operator@127.0.0.1:5672/{namespace}",
                "REDIS_URI": f"redis://127.0.0.1:6379/{redis_db}",
                "REDIS_USER_PREFIX": namespace,  # and its own Redis user
                "JWT_PRIVATE_KEY_PATH": str(self.key_dir / "private.pem"),
                "JWT_PUBLIC_KEY_PATH": str(self.key_dir / "public.pem"),
                "OMS_RATE_LIMIT": "off",
                "CALLS_LOG_LEVEL": "WARNING",
                **{
                    f"{service.upper()}_DB_URI": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
                    for service, name in self.databases.items()
                },
                # Metrics served on free ports: a `make run` beside it holds the default ones.
                **{f"{service.upper()}_METRICS_PORT": "0" for service in [*self.databases, "gateway"]},
            }
        )
        self.system = None

    def start(self) -> str:
        from plumbing.broker import BrokerAdmin
        from plumbing.config import load_config
        from plumbing.migrations import database_urls, drop_database, upgrade_all
        from plumbing.redis_store import connect
        from scripts.provision import provision_all
        from scripts.seed import seed
        from scripts.system import System
        from users.tokens import generate_key_pair

        self.config = load_config()
        urls = database_urls(self.config)
        assert all(url.rsplit("/", 1)[1] == self.databases[s] for s, url in urls.items()), urls
        log(f"setting up vhost {self.namespace}, databases {', '.join(self.databases.values())}")
        BrokerAdmin(self.config["BROKER"]["ADMIN_URL"]).delete_vhost(self.namespace)
        for url in urls.values():
            drop_database(url)
        upgrade_all(self.config)
        provision_all(self.config)
        redis = connect(self.config["REDIS_URI"])
        redis.flushdb()
        redis.close()
        generate_key_pair(self.config["AUTH"])
        seed(self.config)  # the admin account
        self.system = System(port=free_port(), log_dir=self.log_dir, config=self.config)
        log("starting every service and the gateway")
        self.system.start(timeout=90)
        return self.system.url

    def roots(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.system.processes.items()}

    def stop(self) -> None:
        from plumbing.broker import unprovision
        from plumbing.migrations import database_urls, drop_database
        from plumbing.redis_store import connect
        from plumbing.redis_users import unprovision as unprovision_redis
        from scripts.provision import broker_grants, redis_grants

        log("tearing down: processes, vhost and broker and Redis users, databases, Redis db")
        if self.system is not None:
            self.system.stop()
        unprovision(self.config, [grant.principal for grant in broker_grants(self.config)])
        unprovision_redis(self.config, list(redis_grants()))
        for url in database_urls(self.config).values():
            drop_database(url)
        redis = connect(self.config["REDIS_URI"])
        redis.flushdb()
        redis.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- seeding through the API ------------------------------------------------------------------


class Api:
    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/api/v1"
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, expect: int = 200, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    def login(self, email: str, password: str) -> str:
        return self.call("POST", "/auth/login", json={"email": email, "password": password})["access_token"]


def seed_through_api(api: Api, config: dict, run_id: str, products: int, customers: int) -> dict:
    admin = api.login(config["ADMIN"]["EMAIL"], config["ADMIN"]["PASSWORD"])
    product_ids = []
    for i in range(products):
        word, thing = WORDS[i % len(WORDS)], THINGS[(i // len(WORDS)) % len(THINGS)]
        created = api.call(
            "POST",
            "/products",
            admin,
            expect=201,
            json={
                "sku": f"BENCH-{run_id}-{i:03d}",
                "name": f"Bench {word} {thing} {i}",
                "description": f"A {word} {thing} for the load test, number {i}.",
                "price": f"{5 + (i * 37) % 90}.{i % 100:02d}",
                "currency": "EUR",
                "stock": 100_000_000,
            },
        )
        product_ids.append(created["id"])
    tokens = []
    for i in range(customers):
        email = f"bench-{run_id}-{i}@example.com"
        api.call("POST", "/auth/register", expect=201,
                 json={"email": email, "password": CUSTOMER_PASSWORD, "name": f"Bench customer {i}"})
        tokens.append(api.login(email, CUSTOMER_PASSWORD))
    return {"admin": admin, "products": product_ids, "tokens": tokens,
            "queries": WORDS[:5] + [f"{w}+{t}" for w, t in zip(WORDS[5:], THINGS, strict=False)]}


def warm_up(api: Api, data: dict) -> None:
    for product in data["products"]:
        api.call("GET", f"/products/{product}")
        api.call("GET", f"/products/{product}")
    for query in data["queries"]:
        api.call("GET", f"/products?q={query}")
    for token in data["tokens"]:
        api.call("GET", "/orders", token)


def stale_price_check(api: Api, data: dict, count: int = 20) -> dict:
    """Change a price, then read the product at once: the new price must be served."""
    stale = 0
    for i, product in enumerate(data["products"][:count]):
        price = f"{7 + i}.{(i * 13) % 100:02d}"
        api.call("PATCH", f"/products/{product}", data["admin"], json={"price": price})
        if api.call("GET", f"/products/{product}")["price"] != price:
            stale += 1
    return {"checked": min(count, len(data["products"])), "stale": stale}


# -- one wrk run ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing it from Debian's packages")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def write_lua_data(path: Path, data: dict, tag: str) -> None:
    def lua_list(values):
        return "{" + ", ".join(json.dumps(v) for v in values) + "}"

    path.write_text(
        f"return {{tag = {json.dumps(tag)}, products = {lua_list(data['products'])}, "
        f"tokens = {lua_list(data['tokens'])}, queries = {lua_list(data['queries'])}}}\n"
    )


def run_wrk(url: str, scenario: Scenario, seconds: int, data_file: Path, workdir: Path, name: str) -> tuple:
    """wrk's parsed BENCH_RESULT line and its own CPU seconds (wait4's rusage)."""
    threads = min(2, scenario.connections)
    command = ["wrk", f"-t{threads}", f"-c{scenario.connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
               "-s", str(LUA / scenario.script), url]
    output = workdir / f"wrk-{name}.txt"
    with open(output, "w") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT,
                                   env={**os.environ, "BENCH_DATA": str(data_file)})
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    text = output.read_text()
    match = re.search(r"^BENCH_RESULT (.*)$", text, re.M)
    if process.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    return json.loads(match.group(1)), usage.ru_utime + usage.ru_stime


# -- the saga, from the orders database ------------------------------------------------------


class OrdersDb:
    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(url)

    def counts(self, prefix: str) -> dict[str, int]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT status, count(*) FROM orders WHERE idempotency_key LIKE :p GROUP BY status"),
                {"p": prefix + "%"},
            )
            return {status: count for status, count in rows}

    def saga_times(self, prefix: str) -> dict:
        """Seconds from the order's created_at (its insert transaction) to its 'confirmed' history row."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    """SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY s),
                              percentile_cont(0.99) WITHIN GROUP (ORDER BY s), max(s)
                       FROM (SELECT extract(epoch FROM h.at - o.created_at) AS s
                             FROM orders o JOIN order_history h ON h.order_id = o.id AND h.to_status = 'confirmed'
                             WHERE o.idempotency_key LIKE :p) AS t"""
                ),
                {"p": prefix + "%"},
            ).one()
        return {"confirmed": row[0], "p50": row[1], "p99": row[2], "max": row[3]}


class HandlerMarks:
    """Events per transaction of each event handler, read from the processed-event marks: a
    mark's processed_at is the start of the transaction that made it, so the events a batch
    handled together share it (plumbing/handlers.py)."""

    def __init__(self, urls: dict[str, str]):
        from sqlalchemy import create_engine

        self.engines = {service: create_engine(url) for service, url in urls.items()}

    def now(self):
        from sqlalchemy import text

        with next(iter(self.engines.values())).connect() as conn:
            return conn.execute(text("SELECT now()")).scalar()

    def since(self, started) -> dict[str, tuple[int, int]]:
        """{service.handler: (events, transactions)} marked since `started`."""
        from sqlalchemy import text

        found = {}
        for service, engine in self.engines.items():
            with engine.connect() as conn:
                if conn.execute(text("SELECT to_regclass('processed_events')")).scalar() is None:
                    continue
                rows = conn.execute(
                    text("SELECT handler, count(*), count(DISTINCT processed_at) FROM processed_events"
                         " WHERE processed_at >= :started GROUP BY handler ORDER BY handler"),
                    {"started": started},
                )
                found.update({f"{service}.{handler}": (events, transactions) for handler, events, transactions in rows})
        return found


# -- the run ----------------------------------------------------------------------------------


def speed_check() -> float:
    """Milliseconds of a fixed Python loop, best of three: how fast the machine is right now, to
    compare runs on different days (or before and after a run) by."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine_and_versions(orders_db: OrdersDb, config: dict) -> dict:
    from importlib.metadata import version

    from sqlalchemy import text

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    with orders_db.engine.connect() as conn:
        postgres = conn.execute(text("SHOW server_version")).scalar()
    rabbit = subprocess.run(["rabbitmqctl", "-q", "version"], capture_output=True, text=True).stdout.strip()
    from plumbing.redis_store import connect

    redis = connect(config["REDIS_URI"])
    redis_version = redis.info("server")["redis_version"]
    redis.close()
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].split(" [")[0]
    return {
        "nproc": os.cpu_count(),
        "memory": f"{memory_kb / 1024 / 1024:.1f} GiB",
        "cpu": model,
        "kernel": os.uname().release,
        "python": sys.version.split()[0],
        "nameko": version("nameko"),
        "eventlet": version("eventlet"),
        "gunicorn": version("gunicorn"),
        "postgresql": postgres,
        "rabbitmq": rabbit or "unknown",
        "redis": redis_version,
        "wrk": wrk,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="use a system already running at this address (127.0.0.1 only)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario (default 15)")
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--settle", type=float, default=5, help="seconds to wait before re-counting the backlog")
    parser.add_argument("--profile", action="store_true", help="py-spy the hottest Python groups in an extra order run")
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument("--profile-groups", help="comma-separated process groups to profile (default: the two hottest)")
    parser.add_argument("--only", help="comma-separated scenario names: " + ",".join(s.name for s in SCENARIOS))
    parser.add_argument("--namespace", default=os.environ.get("OMS_BENCH_NAMESPACE", "oms_bench"))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("OMS_BENCH_REDIS_DB", "13")))
    parser.add_argument("--output", default=str(PROJECT_ROOT / "BENCHMARKS.md"))
    parser.add_argument("--keep", action="store_true", help="keep the work dir: wrk output, logs, raw py-spy stacks")
    args = parser.parse_args(argv)
    command = "python -m tests.bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    if os.environ.get("MAKELEVEL"):
        command = f"make bench  (runs: {command.strip()})"

    if args.url and urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("the load generator only targets 127.0.0.1")
    ensure_wrk()
    if args.profile and not profile.py_spy():
        parser.error("--profile needs py-spy: pip install -r requirements-bench.txt")
    scenarios = [s for s in SCENARIOS if not args.only or s.name in args.only.split(",")]

    speed_before = speed_check()
    log(f"speed check: {speed_before:.0f} ms")
    workdir = Path(tempfile.mkdtemp(prefix="oms-bench-"))
    run_id = uuid.uuid4().hex[:8]
    own = None if args.url else OwnSystem(args.namespace, args.redis_db, workdir)
    ok = False
    try:
        from plumbing.config import load_config
        from plumbing.migrations import database_urls

        url = args.url.replace("localhost", "127.0.0.1").rstrip("/") if args.url else own.start()
        config = own.config if own else load_config()
        orders_db = OrdersDb(database_urls(config)["orders"])
        marks = HandlerMarks(database_urls(config))
        classifier = cpu.Classifier(own.roots() if own else None, exclude={os.getpid()},
                                    database_prefix=f"{args.namespace}_" if own else None)
        api = Api(url)
        log(f"seeding {args.products} products and {args.customers} customers through {url}")
        data = seed_through_api(api, config, run_id, args.products, args.customers)
        warm_up(api, data)
        results: list[Result] = []
        for scenario in scenarios:
            if scenario.backlog and own is None:
                log(f"{scenario.name}: skipped, it needs a system of the harness's own")
                continue
            payments = own.system.processes["payments"].pid if scenario.backlog else None
            started = marks.now()
            results.append(run_scenario(url, scenario, args, data, run_id, workdir, classifier, orders_db, payments))
            if scenario.orders:
                results[-1].extra["batches"] = marks.since(started)
            if scenario.name == "product":
                results[-1].extra["stale"] = stale_price_check(api, data)
        profiles = []
        if args.profile:
            profiles = profile_orders(url, args, data, run_id, workdir, classifier, results)
        info = machine_and_versions(orders_db, config)
        info["speed"] = (speed_before, speed_check())
        log(f"speed check: {info['speed'][1]:.0f} ms")
        info["settings"] = {
            "GATEWAY_WORKERS": os.environ.get("GATEWAY_WORKERS", "2 (default)"),
            "GATEWAY_THREADS": os.environ.get("GATEWAY_THREADS", "16 (default)"),
            "GATEWAY_RPC_POOL_SIZE": str(config["GATEWAY"]["RPC_POOL_SIZE"]),
            "MAX_WORKERS (nameko)": str(config["max_workers"]),
            "DB_POOL_SIZE": str(config["DB_ENGINE_OPTIONS"]["pool_size"]),
            "EVENT_BATCH_MAX": str(config.get("EVENT_BATCH_MAX", "—")),
            "EVENT_BATCH_CONCURRENCY": str(config.get("EVENT_BATCH_CONCURRENCY", "—")),
            "OMS_RATE_LIMIT": str(config["GATEWAY"]["RATE_LIMIT"]).replace("False", "off"),
            "CALLS_LOG_LEVEL": os.environ.get("CALLS_LOG_LEVEL", "INFO (default)"),
        }
        write_report(Path(args.output), results, profiles, info, command, args, own is None)
        log(f"wrote {args.output}")
        ok = True
        return 0
    finally:
        if own is not None:
            if not ok and own.system is not None:
                for name in own.system.processes:
                    print(f"--- {name} ---\n{own.system.log_tail(name)}", file=sys.stderr)
            own.stop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_scenario(url, scenario, args, data, run_id, workdir, classifier, orders_db, frozen: int | None = None
                 ) -> Result:
    """One wrk run; with `frozen`, that process (payments) is stopped while wrk runs."""
    tag = f"bench-{run_id}-{scenario.name}"
    data_file = workdir / f"data-{scenario.name}.lua"
    write_lua_data(data_file, data, tag)
    log(f"{scenario.name}: {scenario.title}, {scenario.connections} connections, {args.duration} s")
    with cpu.CpuSampler(classifier) as sampler:
        if frozen:
            os.kill(frozen, signal.SIGSTOP)
        try:
            summary, wrk_cpu = run_wrk(url, scenario, args.duration, data_file, workdir, scenario.name)
        finally:
            if frozen:
                os.kill(frozen, signal.SIGCONT)
        if scenario.orders:
            at_end = orders_db.counts(tag)
            drained = wait_for_the_saga(orders_db, tag, sampler)
    seconds = sampler.seconds()
    seconds["wrk"] = wrk_cpu
    result = Result(scenario, summary, seconds, sampler.wall, sampler.machine_busy, sampler.machine_total)
    rps = summary["requests"] / (summary["duration_us"] / 1e6)
    log(f"  {rps:.1f} req/s, p50 {summary['p50_us'] / 1000:.1f} ms, p99 {summary['p99_us'] / 1000:.1f} ms, "
        f"statuses {summary['statuses']}, socket errors "
        f"{summary['connect'] + summary['read'] + summary['write'] + summary['timeout']}")
    if scenario.orders:
        system = sum(v for g, v in seconds.items() if g not in ("wrk", "other"))
        result.extra["drained_s"] = drained
        log(f"  saga drained {drained:.1f} s after wrk; system CPU {system * 1000 / summary['requests']:.1f} ms "
            "per order, its events included")
        time.sleep(args.settle)
        after = orders_db.counts(tag)
        result.saga = {
            "created": sum(after.values()),  # requests still in flight when wrk stopped may land late
            "pending_at_end": at_end.get("pending_payment", 0),
            "pending_after": after.get("pending_payment", 0),
            "statuses_after": after,
            "settle": args.settle,
            **orders_db.saga_times(tag),
        }
        log(f"  saga: {result.saga}")
    return result


QUIET_CPU_SECONDS = 0.25  # the system's CPU per second when idle: timers (outbox relays, sweeps)
SAGA_DRAIN_LIMIT = 90.0


def wait_for_the_saga(orders_db: OrdersDb, tag: str, sampler: cpu.CpuSampler) -> float:
    """After wrk: until none of the run's orders is pending payment and the system's CPU has gone
    quiet (the events that follow a confirmation handled too), so that the CPU measured is all
    that the run's orders cost; at most SAGA_DRAIN_LIMIT s. The seconds it took."""
    started = time.monotonic()
    previous = None
    while time.monotonic() - started < SAGA_DRAIN_LIMIT:
        time.sleep(1)
        busy = sum(v for g, v in sampler.seconds().items() if g not in ("wrk", "other"))
        quiet = previous is not None and busy - previous < QUIET_CPU_SECONDS
        if quiet and orders_db.counts(tag).get("pending_payment", 0) == 0:
            break
        previous = busy
    return time.monotonic() - started


def profile_orders(url, args, data, run_id, workdir, classifier, results) -> list[dict]:
    """An extra order run at 10 connections with py-spy attached to the two hottest Python groups."""
    order10 = next((r for r in results if r.scenario.name == "order10"), None) or results[-1]
    python_groups = ["gateway", *cpu.SERVICE_GROUPS]
    hottest = (args.profile_groups.split(",") if args.profile_groups
               else sorted(python_groups, key=lambda g: order10.cpu.get(g, 0), reverse=True)[:2])
    scenario = Scenario("profile", "POST /orders under py-spy", "order.lua", 10, orders=True)
    seconds = args.profile_seconds
    targets = {group: cpu.group_roots(classifier, group) for group in hottest}
    log(f"profiling {', '.join(f'{g} (pids {p})' for g, p in targets.items())} for {seconds} s of orders")
    runs = {group: profile.start(pids, seconds, workdir) for group, pids in targets.items()}
    time.sleep(1)  # py-spy attaches
    data_file = workdir / "data-profile.lua"
    write_lua_data(data_file, data, f"bench-{run_id}-profile")
    summary, _ = run_wrk(url, scenario, seconds, data_file, workdir, "profile")
    profiles = []
    for group, group_runs in runs.items():
        for pid, process, output in group_runs:
            _, stderr = process.communicate(timeout=60)
            if process.returncode != 0 or not output.exists():
                log(f"  py-spy on {group} ({pid}) failed: {stderr.decode(errors='replace')[-500:]}")
                continue
            profiles.append({"group": group, "pid": pid, "seconds": seconds, "rate": 100,
                             "order_rps": summary["requests"] / (summary["duration_us"] / 1e6),
                             **profile.summarise(output)})
    time.sleep(args.settle)
    return profiles


if __name__ == "__main__":
    sys.exit(main())
