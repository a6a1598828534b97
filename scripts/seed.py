"""A small demo catalog and the admin account (config ADMIN: OMS_ADMIN_EMAIL / OMS_ADMIN_PASSWORD).

Idempotent: what exists already is left alone. It refuses (exit 1, `make run` stops before
starting anything) when the admin's email belongs to a customer: anyone may register an email,
and keeping that account would leave the system without the admin config names."""

from decimal import Decimal

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from contracts.events import USER_REGISTERED
from plumbing.migrations import database_urls
from plumbing.outbox import insert_event
from plumbing.unit_of_work import UnitOfWork
from products import catalog
from products.models import Product
from users import accounts
from users.models import OutboxEvent
from wire.access import ADMIN

DEMO_PRODUCTS = [
    ("DEMO-MUG-01", "Enamel camping mug", "A light enamel mug for coffee outdoors.", "12.50", 120),
    ("DEMO-TEE-01", "Organic cotton t-shirt", "Soft organic cotton, classic fit.", "19.99", 300),
    ("DEMO-BAG-01", "Canvas tote bag", "A sturdy canvas bag for groceries and books.", "15.00", 80),
    ("DEMO-LAMP-01", "Desk lamp", "An adjustable LED desk lamp with warm light.", "39.90", 25),
    ("DEMO-PEN-01", "Fountain pen", "A steel-nib fountain pen that writes smoothly.", "24.00", 60),
]


def admin_email_taken(email: str, user_id: str) -> str:
    return (
        f"Not starting: the admin email {email} (config ADMIN, OMS_ADMIN_EMAIL) belongs to the customer"
        f" account {user_id}, perhaps registered to take the admin's place. Either start with"
        " OMS_ADMIN_EMAIL set to an address no account has (a new admin is created), or, as another"
        f" admin, delete that account (DELETE /api/v1/users/{user_id}) or, if it is really the admin's,"
        f" make it an admin (PATCH /api/v1/users/{user_id} {{\"role\": \"admin\"}}); then start again."
    )


def seed(config: dict) -> None:
    urls = database_urls(config)
    rounds = int(config["PASSWORD_HASH_ROUNDS"])
    with UnitOfWork(Session(create_engine(urls["users"])), close=True) as uow:
        email = config["ADMIN"]["EMAIL"]
        holder = accounts.find_by_email(uow.session, email)
        if holder is not None and holder.role != ADMIN:
            raise SystemExit(admin_email_taken(email, holder.id))
        if holder is None:
            user = accounts.create_user(
                uow.session, email, config["ADMIN"]["PASSWORD"], "Administrator", rounds, role=ADMIN
            )
            # Announced as a registration is (users' relay sends it): the read side knows every buyer.
            insert_event(uow.session, OutboxEvent, USER_REGISTERED,
                         {"user_id": user.id, "email": user.email, "name": user.name})
            uow.commit()
            print(f"seeded admin account {email}")
    with UnitOfWork(Session(create_engine(urls["products"])), close=True) as uow:
        existing = set(uow.session.scalars(select(Product.sku)))
        for sku, name, description, price, stock in DEMO_PRODUCTS:
            if sku not in existing:
                catalog.create_product(
                    uow.session,
                    dict(
                        sku=sku,
                        name=name,
                        description=description,
                        price=Decimal(price),
                        currency="EUR",
                        stock=stock,
                    ),
                )
        uow.commit()


if __name__ == "__main__":
    from plumbing.config import load_config

    seed(load_config())
