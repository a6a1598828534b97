"""The gateway's app factory: `gunicorn -k gthread 'gateway.app:create_app()'`."""

import logging.config
import re
import uuid

from flask import Flask, g, request

from gateway import metrics
from gateway.api import auth, clients, exports, health, invoices, oauth, orders, products, users, webhooks
from gateway.context import GatewayContext
from gateway.errors import problem, register_error_handlers
from gateway.graphql import view as graphql
from gateway.graphql.limits import Limits
from gateway.headers import send_security_headers
from gateway.openapi import ProblemApi, docs_assets, openapi_settings
from gateway.ratelimit import RateLimiter, client_address
from gateway.request_limits import parse_json_strictly, refuse_bad_fields
from gateway.rpc import RpcPool
from gateway.traces import trace_requests
from plumbing.config import load_config
from plumbing.logs import set_request_id, set_service_name
from plumbing.product_cache import ProductCache, SearchCache
from plumbing.production import GATEWAY, is_production, refuse_unsafe_production
from plumbing.ratelimit import parse_limit
from plumbing.redis_store import connect
from plumbing.tokens import TokenVerifier

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNLIMITED_PATHS = ("/healthz", "/readyz")


def register_api(app: Flask) -> ProblemApi:
    """The /api/v1 routes and the OpenAPI document that describes them; needs no server, so
    `scripts.openapi_document` writes the same document without one."""
    api = ProblemApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    api.spec.components.security_scheme(
        "basicAuth", {"type": "http", "scheme": "basic", "description": "An OAuth client's id and secret."}
    )
    for blueprint in (health.blp, auth.blp, oauth.blp, users.blp, clients.blp, products.blp, exports.blp,
                      orders.blp, invoices.blp, webhooks.blp):
        api.register_blueprint(blueprint)
    return api


class GatewayFlask(Flask):
    def make_default_options_response(self):
        """OPTIONS lists the methods of the route the path names. werkzeug's lists those of every
        rule the path matches, so /orders/export got /orders/{order_id}'s PATCH and DELETE."""
        response = super().make_default_options_response()
        matched = request.url_rule
        if matched is not None:
            methods = {method for rule in self.url_map.iter_rules() if rule.rule == matched.rule
                       for method in rule.methods or ()}
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response


def create_app(config: dict | None = None) -> Flask:
    config = config or load_config()
    set_service_name("gateway")
    logging.config.dictConfig(config["LOGGING"])
    refuse_unsafe_production(config, GATEWAY)
    settings = config["GATEWAY"]
    hsts = f"max-age={int(settings['HSTS_MAX_AGE_SECONDS'])}" if settings["TLS_CERT"] else None

    app = GatewayFlask(__name__)
    parse_json_strictly(app)
    app.config.update(
        MAX_CONTENT_LENGTH=int(settings["MAX_CONTENT_LENGTH"]),
        EXPORT_PAGE_SIZE=int(settings["EXPORT_PAGE_SIZE"]),
        GRAPHQL_LIMITS=Limits.from_config(settings["GRAPHQL"], is_production(config)),
        **openapi_settings(),
    )
    redis_client = connect(config["REDIS_URI"])
    app.extensions["oms"] = GatewayContext(
        rpc=RpcPool(config, int(settings["RPC_POOL_SIZE"]), float(config["RPC_TIMEOUT"])),
        tokens=TokenVerifier(config["AUTH"], redis_client),
        limiter=RateLimiter(redis_client, parse_limit(settings["RATE_LIMIT"])),
        products=ProductCache(redis_client, int(config["PRODUCT_CACHE_TTL_SECONDS"])),
        searches=SearchCache(redis_client, int(config["SEARCH_CACHE_TTL_SECONDS"])),
    )

    register_api(app)
    app.register_blueprint(docs_assets)
    app.register_blueprint(graphql.blp)
    register_error_handlers(app)
    metrics.instrument(app)  # first: its timer starts before any hook can answer early
    trace_requests(app)

    @app.before_request
    def start_request():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        set_request_id(g.request_id)
        refused = refuse_bad_fields()
        if refused is not None:
            return refused
        if request.path in UNLIMITED_PATHS:
            return None
        wait = app.extensions["oms"].limiter.hit(client_address())
        if wait:
            return problem(429, "Too many requests.", headers={"Retry-After": str(wait)})
        return None

    @app.after_request
    def finish_request(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        set_request_id(None)
        return response

    send_security_headers(app, hsts)

    return app
