"""The system protects itself from its admins (issue 22): the services' own clients are config's,
the last admin and the configured one stay admins, and `make run` won't start when the configured
admin's email belongs to a customer."""

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from plumbing.config import PROJECT_ROOT
from plumbing.migrations import database_urls
from tests.integration.conftest import call, spawn_call
from tests.polling import wait_until
from tests.tokens import ADMIN, ORDERS_CLIENT
from wire.errors import Conflict, NotFound, Unauthenticated

PASSWORD = "long-enough-pw"


@pytest.fixture
def users_db(config):
    engine = create_engine(database_urls(config)["users"])
    yield engine
    engine.dispose()


def register(users_container, email: str) -> dict:
    return call(users_container, "register", {"email": email, "password": PASSWORD, "name": email.split("@")[0]})


def admin_account(users_container, email: str) -> dict:
    user = register(users_container, email)
    return call(users_container, "update_user", user["id"], {"role": "admin"}, as_=ADMIN)


def test_a_services_own_client_cant_be_revoked_or_rotated_through_the_api(users_container):
    for method in ("revoke_client", "rotate_client_secret"):
        with pytest.raises(Conflict, match="managed in config.*ORDERS_CLIENT_SECRET") as refused:
            call(users_container, method, ORDERS_CLIENT.id, as_=ADMIN)
        assert "restart" in refused.value.detail
    assert call(users_container, "get_client", ORDERS_CLIENT.id, as_=ADMIN)["revoked_at"] is None
    listed = {each["client_id"]: each for each in call(users_container, "list_clients", 1, 100, as_=ADMIN)["items"]}
    assert all(listed[f"svc-{service}"]["managed"] for service in ("orders", "products", "payments", "notifications"))
    erp = call(users_container, "create_client", {"name": "erp", "scopes": ["stock:write"]}, as_=ADMIN)
    assert erp["managed"] is False
    assert call(users_container, "revoke_client", erp["client_id"], as_=ADMIN)["revoked_at"] is not None


def test_a_client_id_with_a_nul_byte_is_an_unknown_client_not_a_500(users_container):
    """Found by the admin fuzz run (tests/e2e_admin): PostgreSQL refuses a NUL in a string."""
    with pytest.raises(Unauthenticated):
        call(users_container, "issue_client_token", "svc\x00orders", "secret")
    with pytest.raises(NotFound):
        call(users_container, "get_client", "svc\x00orders", as_=ADMIN)


def test_the_last_admin_cant_be_deleted_or_demoted(users_container):
    ada = admin_account(users_container, "ada@example.com")  # the only admin account (ADMIN's token has none)
    with pytest.raises(Conflict, match="last admin"):
        call(users_container, "update_user", ada["id"], {"role": "customer"}, as_=ADMIN)
    with pytest.raises(Conflict, match="last admin"):
        call(users_container, "delete_user", ada["id"], as_=ADMIN)
    assert call(users_container, "update_user", ada["id"], {"name": "Ada L"}, as_=ADMIN)["role"] == "admin"
    bob = admin_account(users_container, "bob@example.com")
    assert call(users_container, "update_user", ada["id"], {"role": "customer"}, as_=ADMIN)["role"] == "customer"
    with pytest.raises(Conflict, match="last admin"):
        call(users_container, "delete_user", bob["id"], as_=ADMIN)


def waiting_for_locks(engine) -> int:
    with engine.connect() as conn:  # a new transaction: pg_stat_activity is read once per transaction
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                 " AND wait_event_type = 'Lock'")).scalar()


def test_two_admins_removing_each_other_at_once_leave_one(users_container, users_db):
    ada, bob = admin_account(users_container, "ada@example.com"), admin_account(users_container, "bob@example.com")
    with users_db.connect() as holder:
        # Hold both rows, so that both calls are under way before either can finish.
        holder.execute(text("SELECT 1 FROM users WHERE id IN (:a, :b) FOR UPDATE"), {"a": ada["id"], "b": bob["id"]})

        calls = [spawn_call(users_container, "update_user", ada["id"], {"role": "customer"}, as_=ADMIN),
                 spawn_call(users_container, "delete_user", bob["id"], as_=ADMIN)]
        wait_until(lambda: waiting_for_locks(users_db) == 2, what="both calls wait for the held rows")
        holder.rollback()

    def outcome(pending):
        try:
            return pending.wait() or "done"
        except Conflict as exc:
            return exc

    outcomes = [outcome(each) for each in calls]
    assert sorted(isinstance(outcome, Conflict) for outcome in outcomes) == [False, True], outcomes
    with users_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE role = 'admin'")).scalar() == 1


def test_the_configured_admin_cant_be_deleted_demoted_or_renamed(users_container, config):
    configured = admin_account(users_container, config["ADMIN"]["EMAIL"])
    admin_account(users_container, "bob@example.com")  # not the last admin
    for method, *args in (("delete_user",), ("update_user", {"role": "customer"}),
                          ("update_user", {"email": "someone@example.com", "current_password": PASSWORD})):
        with pytest.raises(Conflict, match="configured admin.*OMS_ADMIN_EMAIL"):
            call(users_container, method, configured["id"], *args, as_=ADMIN)
    renamed = call(users_container, "update_user", configured["id"], {"name": "Root"}, as_=ADMIN)
    assert (renamed["email"], renamed["role"]) == (config["ADMIN"]["EMAIL"], "admin")


def seed_step() -> subprocess.CompletedProcess:
    """The step of `make run` that creates the admin (scripts/run.py runs it before any process),
    with the suite's environment (its databases)."""
    return subprocess.run([sys.executable, "-m", "scripts.seed"], cwd=PROJECT_ROOT, capture_output=True, text=True)


def test_make_run_refuses_to_start_when_a_customer_holds_the_admin_email(users_container, users_db, config):
    squatter = register(users_container, config["ADMIN"]["EMAIL"].upper())
    refused = seed_step()
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert squatter["id"] in refused.stderr and "OMS_ADMIN_EMAIL" in refused.stderr, refused.stderr
    with users_db.connect() as conn:
        assert conn.execute(text("SELECT role FROM users")).scalars().all() == ["customer"]
    call(users_container, "delete_user", squatter["id"], as_=ADMIN)  # what the message says to do
    started = seed_step()
    assert started.returncode == 0, started.stderr
    with users_db.connect() as conn:
        assert conn.execute(text("SELECT email, role FROM users")).all() == [(config["ADMIN"]["EMAIL"], "admin")]
