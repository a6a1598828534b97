"""Events published by a test as their source service would publish them."""

from nameko.standalone.events import event_dispatcher

from plumbing.broker import publisher_id


def publish_event(config: dict, source: str, event_type: str, payload: dict) -> None:
    """`payload` on `source`'s exchange, in `source`'s name (the suite's broker user may
    impersonate it: tests/conftest.py), as handlers only take events from their source."""
    event_dispatcher(config, user_id=publisher_id(config, source))(source, event_type, payload)
