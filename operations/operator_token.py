"""`make operator-token EMAIL=...`: a short-lived access token for an admin, minted with the
private key (so only where that key is), without a password. For `nameko shell` and make's
operator targets (OMS_TOKEN=...); it lives AUTH.OPERATOR_TOKEN_TTL_SECONDS."""

import sys

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from plumbing.config import load_config
from plumbing.migrations import database_urls
from users.accounts import find_by_email
from users.tokens import TokenIssuer
from wire.access import ADMIN


def operator_token(config: dict, email: str) -> str:
    engine = create_engine(database_urls(config)["users"])
    try:
        with Session(engine) as session:
            user = find_by_email(session, email)
            if user is None or user.role != ADMIN:
                raise SystemExit(f"{email} is not an admin's account.")
            user_id, role = user.id, user.role
    finally:
        engine.dispose()
    return TokenIssuer(config["AUTH"], redis=None).operator_token(user_id, role)["access_token"]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m operations.operator_token <admin email>")
    print(operator_token(load_config(), sys.argv[1]))
