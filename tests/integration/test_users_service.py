import pytest

from tests.integration.conftest import call
from tests.tokens import ADMIN, User
from wire.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated

PASSWORD = "correct-horse-battery"


def register(container, email="ada@example.com", name="Ada"):
    return call(container, "register", {"email": email, "password": PASSWORD, "name": name})


def test_register_returns_a_customer_without_its_password(users_container):
    user = register(users_container)
    assert user["email"] == "ada@example.com"
    assert user["role"] == "customer"
    assert set(user) == {"id", "email", "name", "role", "created_at"}


def test_email_is_unique_case_insensitively(users_container):
    register(users_container, "Ada@Example.com")
    with pytest.raises(Conflict):
        register(users_container, "ada@EXAMPLE.com")


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "not-an-email", "password": PASSWORD, "name": "A"},
        {"email": "a@example.com", "password": "short", "name": "A"},
        {"email": "a@example.com", "password": PASSWORD, "name": ""},
        {"email": "a@example.com", "password": PASSWORD, "name": "A", "role": "admin"},
        {"email": "a@example.com", "password": PASSWORD},
    ],
)
def test_register_rejects_invalid_payloads(users_container, payload):
    with pytest.raises(Invalid):
        call(users_container, "register", payload)


def test_login_with_the_wrong_password_is_unauthorized(users_container):
    register(users_container)
    with pytest.raises(Unauthenticated):
        call(users_container, "login", {"email": "ada@example.com", "password": "wrong-password"})
    with pytest.raises(Unauthenticated):
        call(users_container, "login", {"email": "nobody@example.com", "password": PASSWORD})


def test_refresh_rotates_and_the_old_token_stops_working(users_container):
    register(users_container)
    pair = call(users_container, "login", {"email": "ADA@example.com", "password": PASSWORD})
    assert pair["token_type"] == "Bearer" and pair["expires_in"] > 0
    rotated = call(users_container, "refresh", pair["refresh_token"])
    assert rotated["refresh_token"] != pair["refresh_token"]
    with pytest.raises(Unauthenticated):
        call(users_container, "refresh", pair["refresh_token"])
    call(users_container, "refresh", rotated["refresh_token"])


def test_logout_revokes_the_refresh_token(users_container):
    register(users_container)
    pair = call(users_container, "login", {"email": "ada@example.com", "password": PASSWORD})
    call(users_container, "logout", pair["refresh_token"])
    with pytest.raises(Unauthenticated):
        call(users_container, "refresh", pair["refresh_token"])


def test_a_customer_sees_only_itself(users_container):
    ada = register(users_container)
    bob = register(users_container, "bob@example.com", "Bob")
    as_ada = User(ada["id"])
    assert call(users_container, "get_user", ada["id"], as_=as_ada)["email"] == "ada@example.com"
    with pytest.raises(NotFound):
        call(users_container, "get_user", bob["id"], as_=as_ada)
    assert call(users_container, "get_user", bob["id"], as_=ADMIN)["name"] == "Bob"


def test_listing_users_is_for_admins_and_paginated(users_container):
    for i in range(3):
        register(users_container, f"user{i}@example.com", f"User {i}")
    page = call(users_container, "list_users", page=2, page_size=2, as_=ADMIN)
    assert page["total"] == 3 and page["page"] == 2 and page["page_size"] == 2
    assert [u["email"] for u in page["items"]] == ["user2@example.com"]
    with pytest.raises(Forbidden):
        call(users_container, "list_users", as_=User("x"))
    with pytest.raises(Invalid):
        call(users_container, "list_users", page=0, as_=ADMIN)


def test_only_an_admin_changes_a_role(users_container):
    ada = register(users_container)
    as_ada = User(ada["id"])
    with pytest.raises(Forbidden):
        call(users_container, "update_user", ada["id"], {"role": "admin"}, as_=as_ada)
    renamed = call(users_container, "update_user", ada["id"], {"name": "Ada L."}, as_=as_ada)
    assert renamed["name"] == "Ada L." and renamed["role"] == "customer"
    promoted = call(users_container, "update_user", ada["id"], {"role": "admin"}, as_=ADMIN)
    assert promoted["role"] == "admin"


def test_changing_email_to_a_taken_one_conflicts(users_container):
    ada = register(users_container)
    register(users_container, "bob@example.com", "Bob")
    with pytest.raises(Conflict):
        call(users_container, "update_user", ada["id"], {"email": "BOB@example.com", "current_password": PASSWORD},
             as_=User(ada["id"]))


def login(container, email="ada@example.com", password=PASSWORD) -> dict:
    return call(container, "login", {"email": email, "password": password})


@pytest.mark.parametrize("change", [{"password": "a-new-password"}, {"email": "ada@example.org"}])
def test_a_new_email_or_password_needs_the_callers_current_password(users_container, change):
    ada = register(users_container)
    token = login(users_container)["access_token"]
    with pytest.raises(Invalid) as missing:
        call(users_container, "update_user", ada["id"], change, as_=token)
    assert "current_password" in missing.value.errors
    with pytest.raises(Forbidden) as wrong:
        call(users_container, "update_user", ada["id"], {**change, "current_password": "not-my-password"}, as_=token)
    assert wrong.value.errors == {"current_password": ["Wrong password."]}
    changed = call(users_container, "update_user", ada["id"], {**change, "current_password": PASSWORD}, as_=token)
    assert changed["email"] == change.get("email", "ada@example.com")
    # A new name alone needs none.
    assert call(users_container, "update_user", ada["id"], {"name": "Ada L."}, as_=token)["name"] == "Ada L."


@pytest.mark.parametrize("change", [{"password": "a-new-password"}, {"email": "ada@example.org"}])
def test_a_credentials_change_revokes_the_users_other_sessions_but_not_its_own(users_container, change):
    ada = register(users_container)
    this, other = login(users_container), login(users_container)
    call(users_container, "update_user", ada["id"], {**change, "current_password": PASSWORD},
         as_=this["access_token"])
    with pytest.raises(Unauthenticated):
        call(users_container, "get_user", ada["id"], as_=other["access_token"])
    with pytest.raises(Unauthenticated):
        call(users_container, "refresh", other["refresh_token"])
    assert call(users_container, "get_user", ada["id"], as_=this["access_token"])["id"] == ada["id"]
    refreshed = call(users_container, "refresh", this["refresh_token"])
    assert call(users_container, "get_user", ada["id"], as_=refreshed["access_token"])["id"] == ada["id"]


def test_an_admin_changing_anothers_email_gives_its_own_password_and_signs_the_user_out(users_container):
    ada = register(users_container)
    root_password = "root-" + PASSWORD
    root = call(users_container, "register", {"email": "root@example.com", "password": root_password, "name": "Root"})
    call(users_container, "update_user", root["id"], {"role": "admin"}, as_=ADMIN)
    as_root = login(users_container, "root@example.com", root_password)["access_token"]
    ada_session = login(users_container)
    new_email = {"email": "ada@example.org"}
    with pytest.raises(Forbidden):  # the user's own password is not the admin's
        call(users_container, "update_user", ada["id"], {**new_email, "current_password": PASSWORD}, as_=as_root)
    changed = call(users_container, "update_user", ada["id"], {**new_email, "current_password": root_password},
                   as_=as_root)
    assert changed["email"] == "ada@example.org"
    with pytest.raises(Unauthenticated):
        call(users_container, "get_user", ada["id"], as_=ada_session["access_token"])
    assert call(users_container, "get_user", ada["id"], as_=as_root)["email"] == "ada@example.org"


def test_deleted_user_can_no_longer_refresh(users_container):
    ada = register(users_container)
    pair = call(users_container, "login", {"email": "ada@example.com", "password": PASSWORD})
    call(users_container, "delete_user", ada["id"], as_=ADMIN)
    with pytest.raises(NotFound):
        call(users_container, "get_user", ada["id"], as_=ADMIN)
    with pytest.raises(Unauthenticated):
        call(users_container, "refresh", pair["refresh_token"])
