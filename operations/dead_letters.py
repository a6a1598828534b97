"""Dead letters from the command line, through the services' operator RPCs
(`plumbing.dead_letters`): the services must be running.

    make dead-letters [SERVICE=payments]          python -m operations.dead_letters list [payments]
    make replay-dead-letters SERVICE=payments [ID=<id>]
    make discard-dead-letter SERVICE=payments ID=<id>

`list` shows every service's dead letters (id, when, event, handler, attempts, the last line of
the error); `replay` runs the handler once more for one dead letter, or for all of a service's;
`discard` deletes one. Exits 1 when a replay fails again, a dead letter is missing or a service
does not answer.

The services answer admins only: log in with `--email` (or make's EMAIL=; the password from
OMS_PASSWORD or the terminal), or give a token in OMS_TOKEN (`make operator-token`)."""

import argparse
import importlib
import json
import sys

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from operations.session import proxy, token_for, typed
from plumbing.dead_letters import DeadLetterOperations
from plumbing.migrations import database_urls
from wire.errors import Forbidden, ServiceError, Unauthenticated

PAGE_SIZE = 100
DEFAULT_TIMEOUT = 30.0
NO_ANSWER = (RpcTimeout, UnknownService, OSError)
# NotFound and Conflict come back as themselves (wire.errors registers them), anything else
# as a RemoteError.
REFUSED = (ServiceError, RemoteError)


def dead_letter_services(config: dict) -> list[str]:
    """The services (of DB_URIS) whose class offers the dead-letter RPCs."""
    found = []
    for service in database_urls(config):
        try:
            module = importlib.import_module(f"{service}.service")
        except ImportError:
            continue
        if any(
            isinstance(value, type) and issubclass(value, DeadLetterOperations)
            and getattr(value, "name", None) == service
            for value in vars(module).values()
        ):
            found.append(service)
    return found


def list_all(rpc, service: str) -> list[dict]:
    """Every dead letter of `service`, oldest first."""
    items, page = [], 1
    while True:
        listed = getattr(rpc, service).list_dead_letters(page=page, page_size=PAGE_SIZE)
        items += listed["items"]
        if not listed["items"] or len(items) >= listed["total"]:
            return items
        page += 1


def summary(error: str) -> str:
    """The last line of a stored traceback: the exception and its message."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _list(rpc, services: list[str], as_json: bool, out) -> int:
    failed, listed = 0, {}
    for service in services:
        try:
            listed[service] = list_all(rpc, service)
        except NO_ANSWER as exc:
            failed += 1
            listed[service] = None
            print(f"{service}: no answer ({type(exc).__name__}: {exc})", file=sys.stderr)
    if as_json:
        print(json.dumps({service: items for service, items in listed.items() if items is not None}, indent=2),
              file=out)
        return 1 if failed else 0
    for service, items in listed.items():
        if items is None:
            continue
        print(f"{service}: {len(items)} dead letter(s)", file=out)
        for item in items:
            print(
                f"  {item['id']}  {item['created_at']}  {item['source_service']}.{item['event_type']}"
                f" -> {item['handler']}  attempts {item['attempts']}  event {item['event_id']}",
                file=out,
            )
            print(f"      {summary(item['error'])}", file=out)
    return 1 if failed else 0


def _replay(rpc, service: str, dead_letter_id: str | None, out) -> int:
    proxy = getattr(rpc, service)
    ids = [dead_letter_id] if dead_letter_id else [item["id"] for item in list_all(rpc, service)]
    if not ids:
        print(f"{service}: no dead letters to replay", file=out)
    failed = 0
    for one in ids:
        try:
            outcome = proxy.replay_dead_letter(one)
            print(f"{service} {one}: {outcome['outcome']}", file=out)
        except REFUSED as exc:  # Conflict (failed again) or NotFound
            failed += 1
            print(f"{service} {one}: FAILED {_error(exc)}", file=out)
    if len(ids) > 1:
        print(f"{service}: {len(ids) - failed} replayed, {failed} failed", file=out)
    return 1 if failed else 0


def _discard(rpc, service: str, dead_letter_id: str, out) -> int:
    try:
        getattr(rpc, service).discard_dead_letter(dead_letter_id)
    except REFUSED as exc:
        print(f"{service} {dead_letter_id}: FAILED {_error(exc)}", file=out)
        return 1
    print(f"{service} {dead_letter_id}: discarded", file=out)
    return 0


def _error(exc: Exception) -> str:
    if isinstance(exc, RemoteError):
        return f"{exc.exc_type}: {exc.value}"
    return f"{type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None, config: dict | None = None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m operations.dead_letters", description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per RPC (default %(default)s)")
    parser.add_argument("--email", help="log in as this admin (else a token from env OMS_TOKEN)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list dead letters, of every service or of the ones named")
    listing.add_argument("services", nargs="*", metavar="SERVICE")
    listing.add_argument("--json", action="store_true", help="print them as JSON: {service: [dead letter, ...]}")
    replay = commands.add_parser("replay", help="replay one dead letter, or all of a service's")
    replay.add_argument("service", metavar="SERVICE")
    replay.add_argument("id", nargs="?", metavar="ID", help="the dead letter; all of the service's if omitted")
    discard = commands.add_parser("discard", help="delete one dead letter without handling it")
    discard.add_argument("service", metavar="SERVICE")
    discard.add_argument("id", metavar="ID")
    args = parser.parse_args(argv)

    if config is None:
        from plumbing.config import load_config

        config = load_config()
    with proxy(config, token_for(config, args.email), args.timeout) as started:
        rpc = typed(started)
        try:
            if args.command == "list":
                return _list(rpc, args.services or dead_letter_services(config), args.json, out)
            if args.command == "replay":
                return _replay(rpc, args.service, args.id, out)
            return _discard(rpc, args.service, args.id, out)
        except NO_ANSWER as exc:
            print(f"no answer from {getattr(args, 'service', 'a service')}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 1
        except (Forbidden, Unauthenticated) as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    import eventlet

    eventlet.monkey_patch()  # as `nameko shell` does: nameko's standalone proxies expect it
    sys.exit(main())
