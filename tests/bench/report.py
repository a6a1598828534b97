"""BENCHMARKS.md: the numbers beside the targets of issue 5, machine, versions, CPU, profile.

The text between the analysis markers is written by hand and kept when the file is rewritten."""

import datetime
import re
from pathlib import Path

from tests.bench.cpu import GROUPS

BEGIN, END = "<!-- analysis:begin -->", "<!-- analysis:end -->"
DEFAULT_ANALYSIS = "(Not written yet: read the CPU table and the profile above, then write the bottleneck here.)"


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _rps(result) -> float:
    return result.wrk["requests"] / (result.wrk["duration_us"] / 1e6)


def _errors(result) -> int:
    w = result.wrk
    return w["non2xx"] + w["connect"] + w["read"] + w["write"] + w["timeout"]


def targets(result) -> list[tuple[str, bool]]:
    """(target, met) pairs for a scenario; none for those the issue sets no target for."""
    name, rps, p99 = result.scenario.name, _rps(result), result.wrk["p99_us"] / 1000
    if name == "product":
        checks = [("≥ 1,500 req/s", rps >= 1500), ("p99 ≤ 20 ms", p99 <= 20)]
        stale = result.extra.get("stale")
        if stale:
            checks.append((f"no stale price after an update ({stale['stale']}/{stale['checked']} stale)",
                           stale["stale"] == 0))
        return checks
    if name == "search":
        return [("≥ 500 req/s", rps >= 500)]
    if name == "order10":
        return [("≥ 150 orders/s", rps >= 150), ("p99 ≤ 150 ms", p99 <= 150)]
    return []


def saga_targets(result) -> list[tuple[str, bool]]:
    if result.scenario.name != "order10" or not result.saga:
        return []
    saga = result.saga
    return [
        ("confirmed p99 ≤ 2 s", saga["p99"] is not None and saga["p99"] <= 2 and saga["confirmed"] == saga["created"]),
        ("backlog not growing", saga["pending_after"] == 0),
    ]


def _cell(checks: list[tuple[str, bool]]) -> tuple[str, str]:
    if not checks:
        return "—", "—"
    return "; ".join(t for t, _ in checks), "; ".join(_verdict(ok) for _, ok in checks)


def write_report(path: Path, results, profiles, info, command, args, external: bool) -> None:
    analysis, sections = DEFAULT_ANALYSIS, ""
    if path.exists():
        found = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END) + r"\n(.*)", path.read_text(), re.S)
        if found:
            # The sections after the analysis are other tools' (tests/bench/read_side.py): kept.
            analysis, sections = found.group(1).strip(), found.group(2).strip()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`tests/bench/`) on {now}. Everything on one machine: wrk, the gateway, "
        "the services, RabbitMQ, PostgreSQL and Redis share its cores, over loopback.",
        "",
        f"Command: `{command}`  ",
        f"System: {'an already running system at --url' if external else 'started by the harness'}; "
        f"{args.duration} s per scenario; {args.products} products, {args.customers} customers seeded through the API.",
        "",
        "## Machine and versions",
        "",
        f"- machine: {info['nproc']} CPUs (`nproc`), {info['memory']} memory, {info['cpu']}, Linux {info['kernel']}",
        f"- versions: Python {info['python']}, nameko {info['nameko']}, eventlet {info['eventlet']}, "
        f"gunicorn {info['gunicorn']}, PostgreSQL {info['postgresql']}, RabbitMQ {info['rabbitmq']}, "
        f"Redis {info['redis']}, {info['wrk']}",
        "- settings: " + ", ".join(f"{k}={v}" for k, v in info["settings"].items()),
        f"- speed check (a fixed Python loop, `speed_check` in tests/bench/run.py): {info['speed'][0]:.0f} ms "
        f"before the runs, {info['speed'][1]:.0f} ms after",
        "",
        "## Throughput and latency",
        "",
        "| scenario | conns | requests | req/s | p50 ms | p95 ms | p99 ms | errors | target (issue 5) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        w = r.wrk
        target, verdict = _cell(targets(r))
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(w["statuses"].items()))
        out.append(
            f"| {r.scenario.title} | {r.scenario.connections} | {w['requests']} | {_rps(r):.1f} | {_ms(w['p50_us'])} "
            f"| {_ms(w['p95_us'])} | {_ms(w['p99_us'])} | {_errors(r)} | {target} | {verdict} |"
        )
        r.extra["statuses"] = statuses
    out += [
        "",
        "Errors are responses outside 2xx (201 is a success) plus socket errors (connect, read, write, timeout). "
        "Statuses seen: " + "; ".join(f"{r.scenario.name}: {r.extra['statuses']}" for r in results) + ".",
        "",
        "## The order saga",
        "",
        f"| scenario | orders created | confirmed | 201 → confirmed p50 | p99 | max | pending at end | "
        f"pending {args.settle:g} s later | target (issue 5) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        if not r.saga:
            continue
        s = r.saga
        target, verdict = _cell(saga_targets(r))

        def sec(v):
            return "—" if v is None else f"{v * 1000:.0f} ms"

        out.append(
            f"| {r.scenario.title} ({r.scenario.connections} conns) | {s['created']} | {s['confirmed']} "
            f"| {sec(s['p50'])} | {sec(s['p99'])} | {sec(s['max'])} | {s['pending_at_end']} | {s['pending_after']} "
            f"| {target} | {verdict} |"
        )
    out += [
        "",
        "The saga time is measured in the orders database, a close proxy for \"from the 201 to confirmed\": the "
        "`order_history` row with `to_status = 'confirmed'` minus `orders.created_at`, for the orders of the run "
        "(found by their idempotency keys). `created_at` is the start of the transaction that inserts the order, "
        "a little before the client sees the 201, so the figure slightly overstates the saga. "
        "\"Pending\" counts the run's orders still `pending_payment` when wrk stops, and again after the pause.",
        "",
        "## CPU seconds per process group during each run",
        "",
        "| scenario | wall s | " + " | ".join(GROUPS) + " | machine busy / available | system CPU ms per request |",
        "|---|---:|" + "---:|" * len(GROUPS) + "---:|---:|",
    ]
    for r in results:
        cells = " | ".join(f"{r.cpu.get(g, 0):.1f}" for g in GROUPS)
        system = sum(v for g, v in r.cpu.items() if g not in ("wrk", "other"))
        out.append(
            f"| {r.scenario.name} ({r.scenario.connections} conns) | {r.wall:.1f} | {cells} "
            f"| {r.machine_busy:.1f} / {r.machine_total:.1f} | {1000 * system / max(r.wrk['requests'], 1):.1f} |"
        )
    out += [
        "",
        "From `/proc/<pid>/stat` utime + stime, sampled every 0.5 s; a group includes its child processes "
        "(the gateway: the gunicorn master and workers). `postgresql` is the server's own processes and the "
        "backends serving the bench databases (backends of other databases count as `other`); RabbitMQ and "
        "Redis are whole servers, shared with anything else using them; "
        "`other` everything not in a group (other work on the machine, kernel threads); wrk's own figure is from "
        "`wait4`. \"machine busy / available\" is from `/proc/stat`: CPU seconds used by anything versus "
        "cores × wall time. \"system CPU ms per request\" is the CPU of the gateway, the services, RabbitMQ, "
        "PostgreSQL and Redis over the requests completed: what a request costs, less sensitive to other load "
        "on the machine than req/s. In the order runs the sampling goes on after wrk stops until the saga has "
        "drained (no order of the run pending payment, and the system's CPU quiet again), so an order's figure "
        "includes every event it caused, also those handled after the run; the wall time includes that drain.",
        "",
    ]
    batched = [r for r in results if r.extra.get("batches")]
    if batched:
        handlers = sorted({h for r in batched for h in r.extra["batches"]})
        out += [
            "## Events per transaction",
            "",
            "| handler | " + " | ".join(f"{r.scenario.name} ({r.scenario.connections} conns)" for r in batched) + " |",
            "|---|" + "---:|" * len(batched),
        ]
        for handler in handlers:
            cells = []
            for r in batched:
                events, transactions = r.extra["batches"].get(handler, (0, 0))
                cells.append(f"{events} / {transactions} = {events / transactions:.1f}" if transactions else "—")
            out.append(f"| {handler} | " + " | ".join(cells) + " |")
        out += [
            "",
            "Events handled / transactions that handled them, per handler, during each run and its drain: a "
            "handler's worker takes every event already waiting in its queue and handles them in one "
            "transaction (`plumbing/event_batches.py`). Read from the processed-event marks, whose "
            "`processed_at` is the start of the transaction that made them.",
            "",
        ]
    if profiles:
        out += ["## Profile (py-spy) during an extra order run, 10 connections", ""]
        for p in profiles:
            busy = p["samples"] / (p["seconds"] * p["rate"])
            out += [
                f"### {p['group']} (pid {p['pid']}{' and its workers' if p['group'] == 'gateway' else ''})",
                "",
                f"{p['samples']} samples of running threads in {p['seconds']} s at {p['rate']} Hz "
                f"(≈ {busy:.2f} CPU busy, summed over processes); orders/s during the profile: {p['order_rps']:.1f} "
                "(py-spy itself costs CPU).",
                "",
                "| self time by package | % | | top frames, self time | % |",
                "|---|---:|---|---|---:|",
            ]
            total = p["samples"] or 1
            rows = max(len(p["packages"]), len(p["own"]))
            for i in range(rows):
                pk = p["packages"][i] if i < len(p["packages"]) else ("", 0)
                fr = p["own"][i] if i < len(p["own"]) else ("", 0)
                out.append(
                    f"| {pk[0]} | {100 * pk[1] / total:.1f} | | `{fr[0]}` | {100 * fr[1] / total:.1f} |"
                    if fr[0] else f"| {pk[0]} | {100 * pk[1] / total:.1f} | | | |"
                )
            out += ["", "Inclusive (the frame or anything it calls), roots left out:", ""]
            out += [f"- {100 * n / total:.1f}% `{name}`" for name, n in p["inclusive"]]
            out.append("")
    order10 = next((r for r in results if r.scenario.name == "order10"), None)
    if order10:
        ranked = sorted(((g, s) for g, s in order10.cpu.items() if g != "other"), key=lambda x: -x[1])
        out += [
            "## Bottleneck",
            "",
            f"Measured in the 10-connection order run ({order10.wall:.0f} s, {info['nproc']} cores = "
            f"{order10.machine_total:.0f} CPU s available, {order10.machine_busy:.0f} used): "
            + ", ".join(f"{g} {s:.1f} s" for g, s in ranked[:5]) + ".",
            "",
        ]
    out += [BEGIN, analysis, END, ""]
    if sections:
        out += [sections, ""]
    path.write_text("\n".join(out))
