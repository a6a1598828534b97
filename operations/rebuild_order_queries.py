"""`make rebuild-order-queries`: rebuild the read side's views as an admin (order_queries/rebuild.py
says how the rebuild works while the system serves)."""

import argparse
import logging

from operations.session import proxy, token_for, typed
from order_queries.rebuild import PAGE_SIZE, rebuild
from plumbing.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", help="an admin's email (or OMS_TOKEN)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = load_config()
    with proxy(config, token_for(config, args.email)) as started:
        done = rebuild(config, typed(started), args.page_size)
    print(f"order views rebuilt: {done['orders']} orders, generation {done['generation']} is served")


if __name__ == "__main__":
    main()
