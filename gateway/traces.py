"""A span per gateway request (plumbing/tracing.py), child of the client's W3C traceparent if it
sent one; the RPCs the request makes are its children."""

from flask import Flask, Response, g, request
from opentelemetry.trace import SpanKind

from plumbing import tracing


def trace_requests(app: Flask) -> None:
    """Register the hooks; register them before any other, so the span covers the others."""
    tracing.configure_tracing("gateway")

    @app.before_request
    def begin_span():
        route = request.url_rule.rule if request.url_rule else None
        g.span = tracing.begin(
            f"{request.method} {route or 'unrouted'}",
            SpanKind.SERVER,
            request.headers.get(tracing.TRACEPARENT_KEY),
            {"http.request.method": request.method, "url.path": request.path, "http.route": route or ""},
        )

    @app.after_request
    def record_status(response: Response) -> Response:
        g.span_attributes = {
            "http.response.status_code": response.status_code,
            "oms.request_id": g.get("request_id", ""),
        }
        return response

    @app.teardown_request
    def end_span(error: BaseException | None):
        tracing.end(g.pop("span", None), error, g.pop("span_attributes", None))
