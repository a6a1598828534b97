"""Operators act as themselves: in `nameko shell` with the documented one-liner, logged in with an
admin's email and password or with `make operator-token`, as the operator's broker user; what they
do is recorded under their own user id."""

import os
import subprocess
import sys
import uuid

import pytest

from plumbing.broker import amqp_uri_for
from plumbing.config import PROJECT_ROOT
from scripts.system import VENV_BIN
from tests.e2e.test_order_saga import place


def operator_token(email: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "operations.operator_token", email], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)


def nameko_shell(config, script: str, **env) -> subprocess.CompletedProcess:
    """`script` in `nameko shell --config config.yaml`, as an operator's terminal would run it."""
    return subprocess.run(
        [str(VENV_BIN / "nameko"), "shell", "--config", "config.yaml"], input=script, cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "AMQP_URI": amqp_uri_for(config, "operator"), **env},
    )


@pytest.fixture
def admin_id(admin) -> str:
    return admin.get("/users/me").json()["id"]


def test_an_operator_token_works_in_nameko_shell_and_history_shows_the_operator(
    config, admin, admin_id, new_customer, product
):
    _, _, customer = new_customer()
    order = place(customer, product, quantity=1).json()
    minted = operator_token(config["ADMIN"]["EMAIL"])
    assert minted.returncode == 0, minted.stderr
    script = (
        "from operations.session import login\n"
        f"rpc = login(n.config, token={minted.stdout.strip()!r})\n"
        f"print('cancelled', rpc.orders.cancel_order({order['id']!r}, {{'reason': 'operator test'}})['status'])\n"
    )
    shell = nameko_shell(config, script)
    assert shell.returncode == 0 and "cancelled cancelled" in shell.stdout, shell.stdout + shell.stderr
    history = admin.get(f"/orders/{order['id']}/history").json()["items"]
    [cancelled] = [entry for entry in history if entry["to_status"] == "cancelled"]
    assert cancelled["actor"] == admin_id and cancelled["reason"] == "operator test"


def test_an_operator_logs_in_with_an_admins_email_and_password(config):
    script = (
        "from operations.session import login\n"
        f"rpc = login(n.config, {config['ADMIN']['EMAIL']!r})\n"
        "print('listed', rpc.users.list_users()['total'] > 0)\n"
    )
    shell = nameko_shell(config, script, OMS_PASSWORD=config["ADMIN"]["PASSWORD"])
    assert shell.returncode == 0 and "listed True" in shell.stdout, shell.stdout + shell.stderr


def test_a_shell_without_a_login_is_refused(config):
    shell = nameko_shell(config, "n.rpc.orders.list_orders({})\n")
    assert shell.returncode != 0 and "Unauthenticated" in shell.stdout + shell.stderr


def test_only_an_admin_gets_an_operator_token(new_customer):
    customer, _, _ = new_customer()
    refused = operator_token(customer["email"])
    assert refused.returncode != 0 and "not an admin" in refused.stderr
    assert operator_token(f"{uuid.uuid4().hex}@example.com").returncode != 0
