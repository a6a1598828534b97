"""Security headers on every answer of the gateway, set in one after_request hook.

- `X-Content-Type-Options: nosniff`: a browser takes every answer for the type it says it is.
- `Content-Security-Policy`: the API's answers (JSON, CSV, PDF, problems) may load nothing and
  be framed by no one. The two HTML pages, /docs (Swagger UI) and GraphiQL at /graphql, may load
  scripts, styles, images and fonts from the gateway itself and call it, nothing else; their
  inline scripts run only by hash, computed from the page as served (no page needs editing when
  its script changes). Inline styles are allowed on pages: GraphiQL's CSS-in-JS (emotion)
  writes `<style>` elements at run time.
- `Cache-Control: no-store` on every answer that does not set its own caching (the pages'
  static assets do): tokens, client secrets, introspection and personal data are never kept by
  a browser or a proxy, whichever route a future change adds them to.
- `Strict-Transport-Security` when the gateway serves TLS.

flask-talisman does the first three, but per-route policies there are view decorators (the
routes here come from flask-smorest, the GraphQL blueprint and a package's assets), it has no
hashes of inline scripts, and it would also force HTTPS and rewrite cookies: a hook is smaller."""

import base64
import hashlib
import re

from flask import Flask, Response

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'{script_hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# A <script> without src: its text is what the browser hashes, byte for byte.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def content_security_policy(response: Response) -> str:
    if response.mimetype != "text/html" or response.direct_passthrough:
        return API_POLICY
    scripts = _INLINE_SCRIPT.findall(response.get_data(as_text=True))
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" for script in scripts
    )
    return PAGE_POLICY.format(script_hashes=hashes)


def send_security_headers(app: Flask, hsts: str | None) -> None:
    """`hsts`: the Strict-Transport-Security value, or None when the gateway serves plain HTTP."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = content_security_policy(response)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        if hsts:  # served over TLS: browsers keep to https from now on
            response.headers["Strict-Transport-Security"] = hsts
        return response
