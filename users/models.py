"""The users database."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, String, false, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plumbing.outbox import outbox_model


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    # Emails are unique case-insensitively; lookups go through lower(email) too.
    __table_args__ = (Index("uq_users_email_lower", func.lower(email), unique=True),)


class Client(Base):
    """An OAuth2 client (a service or an integrator): client-credentials tokens with its scopes."""

    __tablename__ = "clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    secret_hash: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    secret_rotated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set once: a revoked client gets no token, and the ones it had stop working.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A service's own client (config SERVICE_CLIENTS): provisioning keeps it as config says, and
    # the API can't revoke it or rotate its secret.
    managed: Mapped[bool] = mapped_column(Boolean, server_default=false())


OutboxEvent = outbox_model(Base)
