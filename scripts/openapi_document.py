"""The OpenAPI document the gateway serves at /openapi.json, written without a running server
(no broker, database, Redis or keys): `make clients` generates the typed clients from it.

    python -m scripts.openapi_document > clients/openapi.json"""

import json
import sys

from flask import Flask

from gateway.app import register_api
from gateway.openapi import openapi_settings


def openapi_document() -> dict:
    """The document, built from the same routes and settings as the gateway's."""
    app = Flask("gateway")
    app.config.update(openapi_settings())
    with app.app_context():
        return register_api(app).spec.to_dict()


def main() -> None:
    json.dump(openapi_document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
