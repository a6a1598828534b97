"""Price quotes (orders/quotes.py): a mixin of OrdersService (orders/service.py), which provides
`uow`, `caller`, `config` and the `products` peer, and calls `_quote_for` while placing an order."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from nameko.timer import timer

from contracts.orders_operations import CREATE_QUOTE, GET_QUOTE
from contracts.quotes import CreateQuoteSchema, QuoteLineSchema, QuoteSchema
from orders import quotes
from orders.models import Quote
from plumbing.callers import rpc
from wire.errors import NotFound
from wire.validation import load

log = logging.getLogger(__name__)
quote_schema, create_quote_schema, lines_schema = QuoteSchema(), CreateQuoteSchema(), QuoteLineSchema(many=True)
# An unused quote is kept this long past its expiry (an order citing it hears "expired", not
# "unknown"), then deleted, a batch per tick.
KEEP_EXPIRED = timedelta(days=1)
PURGE_INTERVAL_SECONDS = 60
PURGE_BATCH = 1000


class QuoteOperations:
    """Entrypoints: create_quote, get_quote; the timer purge_expired_quotes."""

    NEEDS = ("uow", "caller", "config", "products")

    @rpc(CREATE_QUOTE)
    def create_quote(self, payload: dict) -> dict:
        """Price {items: [{product_id, quantity}]} at the catalog's prices for the calling customer,
        held for QUOTE_TTL_SECONDS: {id, user_id, items: [{product_id, sku, name, unit_price,
        quantity, line_total}], total, currency, created_at, expires_at, order_id (null)}.
        Invalid naming unknown products or items in more than one currency. Holds no stock."""
        items = load(create_quote_schema, payload)["items"]
        priced = quotes.price(items, self.products.get_products([item["product_id"] for item in items]))
        now = datetime.now(UTC)
        quote = Quote(id=str(uuid.uuid4()), user_id=self.caller.actor.id, currency=priced.currency,
                      lines=lines_schema.dump(priced.lines), total=priced.total, created_at=now,
                      expires_at=now + timedelta(seconds=int(self.config["QUOTE_TTL_SECONDS"])))
        with self.uow() as uow:
            uow.session.add(quote)
            uow.commit()
        return quote_schema.dump(_shown(quote))

    @rpc(GET_QUOTE)
    def get_quote(self, quote_id: str) -> dict:
        """The quote, for its customer or an admin; NotFound for anyone else."""
        with self.uow() as uow:
            quote = uow.session.get(Quote, quote_id) if isinstance(quote_id, str) and len(quote_id) <= 36 else None
            if quote is None or not self.caller.actor.acts_for(quote.user_id):
                raise NotFound("No such quote.")
            return quote_schema.dump(_shown(quote))

    @timer(interval=PURGE_INTERVAL_SECONDS)
    def purge_expired_quotes(self) -> int:
        """Delete quotes that expired unused more than a day ago (every instance runs it: rows
        another one holds are skipped)."""
        with self.uow() as uow:
            purged = quotes.purge_expired(uow.session, datetime.now(UTC) - KEEP_EXPIRED, PURGE_BATCH)
            uow.commit()
        if purged:
            log.info("purged %d expired quotes", purged)
        return purged

    def _quote_for(self, uow, quote_id: str, user_id: str, items: list[dict]) -> Quote:
        """The customer's quote for these items, locked in the order's transaction, if an order may
        use it now (orders/quotes.py check_usable says why not)."""
        quote = quotes.lock(uow.session, quote_id)
        quotes.check_usable(quote, user_id, items, datetime.now(UTC))
        return quote


def _shown(quote: Quote) -> dict:
    return {column.key: getattr(quote, column.key) for column in Quote.__table__.columns} | {"items": quote.lines}
