"""The read side's figures (issue 15), written as a section of BENCHMARKS.md:

    python -m tests.bench.read_side [--orders 200] [--duration 15] [--export-sizes 10000,100000]

1. GraphQL `me { orders(first: 50) }` with lines, payment and customer, for a customer with
   `--orders` orders: req/s and p50/p99 at `--connections`; the same page through REST
   `GET /orders?page_size=50`, for comparison.
2. Projection lag (GraphQL `meta { lagMs }`, sampled every 100 ms) while orders are placed at
   `--connections` for `--duration` seconds: p50/p99.
3. Export (CSV) of each of `--export-sizes` orders (two lines each): time, rows, and the peak RSS
   of the gateway's and order_queries' processes while it streams (sampled from /proc).
4. `totalCount` with a status filter on the largest export size: p50/p99 of `--count-repeats`.
The export and count orders are written straight into the read model's database (placing
100,000 orders through the API would take the better part of an hour); everything else goes
through the running system. It starts its own system (tests/bench/run.py's OwnSystem) unless
`--url` names one. The defaults are small so that it runs in minutes; the issue's figures are
`--orders 200 --duration 30 --export-sizes 10000,100000`. The load generator is Python threads
(requests), on the same machine: its own CPU counts against the system's."""

import argparse
import os
import re
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from plumbing.config import PROJECT_ROOT
from tests.bench.run import Api, OwnSystem, log

ORDERS_QUERY = """query($after: String) { me { orders(first: 50, after: $after) { edges { node {
  id status total createdAt items { sku quantity unitPrice lineTotal } payment { status amount }
  customer { email name } } } } } }"""
ADDRESS = {"name": "Bench", "line1": "1 Bench St", "city": "Paris", "postal_code": "75001", "country": "FR"}
SECTION = "## Read side (python -m tests.bench.read_side)"

_SYNTHETIC = text(
    "INSERT INTO order_views (generation, order_id, user_id, status, total, currency, shipping_address, lines,"
    " history, sequence, address_sequence, created_at, updated_at, payment_id, payment_status, payment_amount,"
    " payment_currency, payment_ledger_version)"
    " SELECT (SELECT current_generation FROM projection_state WHERE id = 1), 'bench-' || lpad(n::text, 9, '0'),"
    " 'bench-user-' || (n % 500), (ARRAY['confirmed', 'shipped', 'delivered', 'cancelled'])[1 + n % 4], 30.00,"
    " 'EUR', CAST(:address AS jsonb),"
    " jsonb_build_array(jsonb_build_object('product_id', 'p-1', 'sku', 'BENCH-1', 'name', 'Bench mug',"
    " 'quantity', 1, 'unit_price', '10.00', 'line_total', '10.00'), jsonb_build_object('product_id', 'p-2',"
    " 'sku', 'BENCH-2', 'name', 'Bench \"pro\", large', 'quantity', 2, 'unit_price', '10.00',"
    " 'line_total', '20.00')), '{}'::jsonb, 2, 1, now() - n * interval '1 second', now(), 'pay-' || n,"
    " 'succeeded', 30.00, 'EUR', 1"
    " FROM generate_series(:start, :stop) AS n ON CONFLICT DO NOTHING"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def load(fn, connections: int, seconds: float) -> dict:
    """Call fn() from `connections` threads for `seconds`: req/s, p50, p99 (ms), errors."""
    latencies, failures, stop = [], [], time.monotonic() + seconds

    def worker():
        session = requests.Session()
        while time.monotonic() < stop:
            started = time.perf_counter()
            ok = fn(session)
            (latencies if ok else failures).append((time.perf_counter() - started) * 1000)  # list.append: atomic

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - begun
    return {"rps": len(latencies) / wall, "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
            "requests": len(latencies), "errors": len(failures)}


def rss_of(pids: list[int]) -> int:
    """The largest resident set (bytes) among `pids` and their children."""
    found = []
    for pid in pids:
        for each in [pid, *_children(pid)]:
            try:
                status = Path(f"/proc/{each}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                found.append(int(match.group(1)) * 1024)
    return max(found, default=0)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def place_orders(url: str, token: str, product_id: str, count: int, connections: int) -> None:
    def place(_):
        body = {"items": [{"product_id": product_id, "quantity": 1}], "shipping_address": ADDRESS,
                "payment_token": "tok_visa"}
        response = requests.post(f"{url}/api/v1/orders", json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
        response.raise_for_status()

    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(place, range(count)))


def graphql_total(url: str, token: str, query: str) -> dict:
    response = requests.post(f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"},
                             timeout=60)
    return response.json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running system (127.0.0.1), with --pids for the RSS figures")
    parser.add_argument("--orders", type=int, default=60, help="orders of the customer read back (issue: 200)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--duration", type=float, default=8, help="seconds per load figure (issue: 30)")
    parser.add_argument("--export-sizes", default="1000,5000", help="orders per export (issue: 10000,100000)")
    parser.add_argument("--count-repeats", type=int, default=50)
    parser.add_argument("--namespace", default=os.environ.get("OMS_BENCH_NAMESPACE", "oms_bench_rs"))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("OMS_BENCH_REDIS_DB", "12")))
    parser.add_argument("--output", default=str(PROJECT_ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.export_sizes.split(","))

    own = None if args.url else OwnSystem(args.namespace, args.redis_db, Path(tempfile.mkdtemp(prefix="oms-rs-")))
    try:
        from plumbing.config import load_config
        from plumbing.migrations import database_urls

        url = args.url.rstrip("/") if args.url else own.start()
        config = own.config if own else load_config()
        pids = {name: process.pid for name, process in own.system.processes.items()} if own else {}
        api = Api(url)
        admin = api.login(config["ADMIN"]["EMAIL"], config["ADMIN"]["PASSWORD"])
        product = api.call("POST", "/products", admin, 201, json={
            "sku": f"RS-{uuid.uuid4().hex[:8]}", "name": "Read side mug", "price": "4.00", "currency": "EUR",
            "stock": 1_000_000})
        email = f"rs-{uuid.uuid4().hex[:8]}@example.com"
        api.call("POST", "/auth/register", expect=201, json={"email": email, "password": "read-side-pass", "name": "R"})
        customer = api.login(email, "read-side-pass")
        log(f"placing {args.orders} orders for one customer")
        place_orders(url, customer, product["id"], args.orders, args.connections)
        deadline = time.monotonic() + 120
        count_query = "{ me { orders { totalCount } } }"
        while graphql_total(url, customer, count_query)["data"]["me"]["orders"]["totalCount"] < args.orders:
            if time.monotonic() > deadline:
                raise RuntimeError("the read model did not catch up within 120 s")
            time.sleep(0.2)
        results = {}

        log("GraphQL orders(first: 50) and REST GET /orders?page_size=50")
        headers = {"Authorization": f"Bearer {customer}"}

        def graphql_page(session):
            response = session.post(f"{url}/graphql", json={"query": ORDERS_QUERY}, headers=headers, timeout=30)
            return response.status_code == 200 and "errors" not in response.json()

        def rest_page(session):
            return session.get(f"{url}/api/v1/orders", params={"page_size": 50}, headers=headers,
                               timeout=30).status_code == 200

        results["graphql"] = load(graphql_page, args.connections, args.duration)
        results["rest"] = load(rest_page, args.connections, args.duration)

        log("projection lag while placing orders")
        samples, stop = [], threading.Event()

        def sample():
            session = requests.Session()
            while not stop.is_set():
                meta = session.post(f"{url}/graphql", json={"query": "{ meta { lagMs } }"}, timeout=10).json()
                samples.append(meta["data"]["meta"]["lagMs"])
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()

        def order(session):
            body = {"items": [{"product_id": product["id"], "quantity": 1}], "shipping_address": ADDRESS,
                    "payment_token": "tok_visa"}
            return session.post(f"{url}/api/v1/orders", json=body, timeout=30, headers={
                **headers, "Idempotency-Key": uuid.uuid4().hex}).status_code == 201

        results["placing"] = load(order, args.connections, args.duration)
        stop.set()
        sampler.join()
        results["lag"] = {"p50": percentile(samples, 0.5), "p99": percentile(samples, 0.99), "samples": len(samples)}

        engine = create_engine(database_urls(config)["order_queries"])
        results["exports"] = []
        written = 0
        for size in sizes:
            with engine.begin() as conn:
                conn.execute(_SYNTHETIC, {"start": written + 1, "stop": size, "address": '{"city": "Paris"}'})
            written = size
            log(f"export of {size} synthetic orders (and the system's own)")
            peaks = {"gateway": 0, "order_queries": 0}
            done = threading.Event()

            def watch(peaks=peaks, done=done):
                while not done.is_set():
                    for name in peaks:
                        if name in pids:
                            peaks[name] = max(peaks[name], rss_of([pids[name]]))
                    time.sleep(0.05)

            watcher = threading.Thread(target=watch)
            watcher.start()
            started, rows = time.perf_counter(), 0
            with requests.get(f"{url}/api/v1/orders/export", params={"format": "csv"}, stream=True, timeout=600,
                              headers={"Authorization": f"Bearer {admin}"}) as response:
                response.raise_for_status()
                for chunk in response.iter_content(65536):
                    rows += chunk.count(b"\r\n")
            seconds = time.perf_counter() - started
            done.set()
            watcher.join()
            results["exports"].append({"orders": size, "rows": rows - 1, "seconds": seconds, **peaks})
        engine.dispose()

        log("totalCount with a status filter")
        count = "{ orders(filter: {status: CONFIRMED}) { totalCount } }"
        timings = []
        for _ in range(args.count_repeats):
            started = time.perf_counter()
            assert "errors" not in graphql_total(url, admin, count)
            timings.append((time.perf_counter() - started) * 1000)
        results["count"] = {"orders": sizes[-1], "p50": percentile(timings, 0.5), "p99": percentile(timings, 0.99)}
        write_section(Path(args.output), report(results, args))
        log(f"wrote the read-side section of {args.output}")
        return 0
    finally:
        if own is not None:
            own.stop()


def report(results: dict, args) -> str:
    mb = 1024 * 1024
    lines = [
        SECTION, "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python -m tests.bench.read_side "
        f"--orders {args.orders} --connections {args.connections} --duration {args.duration:g} "
        f"--export-sizes {args.export_sizes}`. Load from Python threads on the same machine.", "",
        "| what | req/s | p50 ms | p99 ms | requests (errors) |", "|---|---|---|---|---|",
    ]
    for key, title in (("graphql", f"GraphQL `me.orders(first: 50)`, lines + payment + customer, {args.orders} "
                                    "orders"), ("rest", "REST `GET /orders?page_size=50`"),
                       ("placing", "POST /orders (while lag is sampled)")):
        r = results[key]
        lines.append(f"| {title} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['requests']} "
                     f"({r['errors']}) |")
    lag = results["lag"]
    lines += ["", f"Projection lag while placing orders at {args.connections} connections: p50 {lag['p50']:.0f} ms, "
                  f"p99 {lag['p99']:.0f} ms ({lag['samples']} samples of `meta {{ lagMs }}`).", "",
              "| export (CSV) | rows | seconds | gateway peak RSS MB | order_queries peak RSS MB |",
              "|---|---|---|---|---|"]
    for e in results["exports"]:
        lines.append(f"| {e['orders']} orders | {e['rows']} | {e['seconds']:.1f} | {e['gateway'] / mb:.0f} | "
                     f"{e['order_queries'] / mb:.0f} |")
    c = results["count"]
    lines += ["", f"`totalCount` with a status filter on {c['orders']}+ orders: p50 {c['p50']:.1f} ms, "
                  f"p99 {c['p99']:.1f} ms ({args.count_repeats} requests).", ""]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace the read-side section of BENCHMARKS.md (or append it)."""
    current = path.read_text() if path.exists() else ""
    start = current.find(SECTION)
    if start == -1:
        path.write_text(current.rstrip() + "\n\n" + section)
        return
    following = current.find("\n## ", start + len(SECTION))
    rest = current[following:] if following != -1 else ""
    path.write_text(current[:start] + section + rest)


if __name__ == "__main__":
    raise SystemExit(main())
