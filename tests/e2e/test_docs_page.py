"""/docs renders every operation in a real browser (Debian's headless Chromium) and the page asks
no other host for anything: Swagger UI comes from the flask-swagger-ui package, not a CDN.
GraphiQL renders too; neither page breaks any rule of its Content-Security-Policy (Chromium
logs each refusal on its console, which `--enable-logging=stderr` prints).

Chromium's NetLog records every request it starts, with its initiator: the page's origin for what
the page asks for, "not an origin" for the browser's own (updates, time, accounts), which are not
the page's doing. No host but loopback resolves, so nothing leaves the machine either way."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--enable-logging=stderr",
    "--v=0",
]
CSP_REFUSAL = "Content Security Policy"
BROWSER_INITIATED = "not an origin"


def page_requests(net_log: Path) -> list[str]:
    """The URLs of the requests a page started (not the browser itself), from a NetLog file."""
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job
        and "url" in event.get("params", {})
        and event["params"].get("initiator", BROWSER_INITIATED) != BROWSER_INITIATED
    ]


@pytest.fixture
def browser(tmp_path):
    """Loads a URL in headless Chromium: (the DOM after the page has run, the page's requests);
    fails if the page broke its Content-Security-Policy."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed: `make test` installs it"

    def load(url: str) -> tuple[str, list[str]]:
        net_log = tmp_path / "net-log.json"
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--log-net-log={net_log}",
            "--virtual-time-budget=20000",  # lets the page fetch /openapi.json and render it
            "--dump-dom",
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stderr[-2000:]
        refused = [line for line in done.stderr.splitlines() if CSP_REFUSAL in line]
        assert not refused, f"the page broke its Content-Security-Policy: {refused}"
        return done.stdout, page_requests(net_log)

    return load


def test_the_browser_check_sees_a_page_ask_another_host(browser):
    _, asked = browser('data:text/html,<script src="http://cdn.example.com/swagger-ui-bundle.js"></script>')
    assert asked == ["http://cdn.example.com/swagger-ui-bundle.js"]


def test_docs_render_every_operation_offline(system, browser):
    document = requests.get(f"{system.url}/openapi.json", timeout=10).json()
    dom, asked = browser(f"{system.url}/docs")
    rendered = set(re.findall(r'data-path="([^"]+)"', dom))
    assert set(document["paths"]) <= rendered, set(document["paths"]) - rendered
    operations = sum(1 for methods in document["paths"].values() for method in methods if method != "parameters")
    assert dom.count('class="opblock opblock-') == operations
    assert f"{system.url}/docs/assets/swagger-ui-bundle.js" in asked and f"{system.url}/openapi.json" in asked
    assert {urlsplit(url).netloc for url in asked} == {urlsplit(system.url).netloc}, asked


def test_the_browser_check_sees_a_page_break_its_policy(system, browser):
    # GraphiQL's page under the API's policy: its scripts are refused, and the check says so.
    blocked = f"data:text/html,<meta http-equiv='Content-Security-Policy' content=\"script-src 'none'\">" \
              f"<script src='{system.url}/graphql/assets/react.js'></script>"
    with pytest.raises(AssertionError, match="broke its Content-Security-Policy"):
        browser(blocked)


def test_graphiql_renders_offline_within_its_policy(system, browser):
    dom, asked = browser(f"{system.url}/graphql")
    assert "graphiql-container" in dom and "Loading GraphiQL" not in dom
    assert f"{system.url}/graphql/assets/graphiql.js" in asked
    assert {urlsplit(url).netloc for url in asked} == {urlsplit(system.url).netloc}, asked
