"""`make run` under supervisord: `make status`, logs on the terminal and in files, a process
killed with `kill -9` comes back while the rest keeps serving, and Ctrl-C stops it all, the
gateway first. The last test stops the package's system."""

import os
import re
import signal
import subprocess

import requests

from operations.invariants import check
from scripts.system import GATEWAY, SERVICES
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until

PROGRAMS = [*SERVICES, GATEWAY]


def running_pids(make_run) -> dict[str, int]:
    states = make_run.status()
    assert set(states) == set(PROGRAMS), states
    assert all(state == "RUNNING" for state, _ in states.values()), states
    return {name: pid for name, (_, pid) in states.items()}


def restarted(make_run, name: str, old_pid: int) -> int | None:
    state, pid = make_run.status().get(name, (None, None))
    return pid if state == "RUNNING" and pid != old_pid else None


def ready(make_run) -> bool:
    try:
        response = requests.get(f"{make_run.url}/readyz", timeout=5)
    except requests.RequestException:
        return False
    return response.status_code == 200 and set(response.json()["services"].values()) == {"ok"}


def test_make_status_shows_every_process_running(make_run):
    pids = running_pids(make_run)
    for pid in pids.values():
        os.kill(pid, 0)  # a live process, as listed


def test_logs_go_to_a_file_per_process_and_to_the_terminal(make_run):
    assert requests.get(f"{make_run.url}/readyz", timeout=10).status_code == 200  # pings every service
    for service in SERVICES:
        assert f"{service}.ping." in make_run.log(service)  # the oms.calls line of each ping
        wait_until(lambda s=service: any(re.match(rf"{s} +\| .* {s}\.ping\.", line) for line in make_run.output),
                   10, what=f"{service}'s log on the terminal")
    assert "Booting worker" in make_run.log(GATEWAY)
    assert any("OMS is running: gateway at" in line for line in make_run.output)


def test_a_service_killed_with_kill_9_comes_back_while_the_gateway_keeps_answering(make_run, admin, product):
    assert admin.get(f"/products/{product['id']}").status_code == 200  # answered from Redis from now on
    for service in SERVICES:
        before = running_pids(make_run)
        os.kill(before[service], signal.SIGKILL)

        def back_and_serving(service=service, old_pid=before[service]):
            # Meanwhile the gateway answers, from its cache where the read needs no service.
            assert requests.get(f"{make_run.url}/healthz", timeout=5).status_code == 200
            assert admin.get(f"/products/{product['id']}").status_code == 200
            return restarted(make_run, service, old_pid)

        wait_until(back_and_serving, 60, interval=0.2, what=f"{service} RUNNING again under a new pid")
        wait_until(lambda: ready(make_run), 60, interval=0.3, what="readyz all ok")
        after = running_pids(make_run)
        assert {name: pid for name, pid in after.items() if name != service} == {
            name: pid for name, pid in before.items() if name != service
        }, "only the killed process was restarted"
        assert f"exited: {service} (terminated by SIGKILL; not expected)" in make_run.log("supervisord")


def test_the_gateway_killed_with_kill_9_comes_back(make_run, anonymous):
    before = running_pids(make_run)
    os.kill(before[GATEWAY], signal.SIGKILL)
    wait_until(lambda: restarted(make_run, GATEWAY, before[GATEWAY]), 60, interval=0.2, what="a new gateway")
    wait_until(lambda: ready(make_run), 60, interval=0.3, what="readyz all ok")
    assert {name: pid for name, pid in running_pids(make_run).items() if name != GATEWAY} == {
        name: pid for name, pid in before.items() if name != GATEWAY
    }


def test_orders_go_through_after_every_process_was_killed_once(make_run, customer, product, config):
    response = place(customer, product)
    assert response.status_code == 201, response.text
    wait_for_status(customer, response.json()["id"], "confirmed")
    report = wait_until(lambda: (r := check(config, grace=0)).ok and r, 60, interval=0.5, what="invariants")
    assert report.ok


def test_ctrl_c_stops_the_gateway_first_then_every_service(make_run):
    """Last: it stops the package's system."""
    pids = running_pids(make_run)
    workers = subprocess.run(["pgrep", "-P", str(pids[GATEWAY])], capture_output=True, text=True).stdout.split()
    assert workers, "the gateway's worker processes"
    earlier = len(make_run.log("supervisord"))  # test_alerts.py stopped a service once

    assert make_run.stop() == 0

    stopped = [re.search(r"stopped: (\w+)", line).group(1)
               for line in make_run.log("supervisord")[earlier:].splitlines() if "stopped: " in line]
    assert stopped[0] == GATEWAY and set(stopped) == set(PROGRAMS), stopped
    for pid in [*pids.values(), *map(int, workers)]:
        wait_until(lambda pid=pid: not alive(pid), 10, what=f"process {pid} to be gone")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has exited
