# `make run` runs the system, `make test` runs every test; both set up what is missing.
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
DOCS_INSTALLED := $(VENV)/.docs-installed-$(shell cksum requirements-docs.txt | cut -d' ' -f1)

.PHONY: run monitor monitor-tools status test test-tools test-reliability lint docs docs-build infra bench check-invariants dead-letters \
	replay-dead-letters discard-dead-letter operator-token dev-cert graphiql rebuild-order-queries \
	clients client-tools

$(INSTALLED): requirements.txt scripts/quiet_eventlet.pth
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	# eventlet warns on every import; the filter, by message, must be in place before it.
	cp scripts/quiet_eventlet.pth $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/
	rm -f $(VENV)/.installed-* && touch $@

infra:
	@bash scripts/infra.sh

# The documentation site (mkdocs.yml, docs/; MkDocs with the Material theme, requirements-docs.txt).
$(DOCS_INSTALLED): requirements-docs.txt $(INSTALLED)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	rm -f $(VENV)/.docs-installed-* && touch $@

# Material prints a notice about MkDocs 2 on every build unless told not to.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

# Serve the docs while editing them (the gateway has 8000): DOCS_PORT=... to move it.
DOCS_PORT ?= 8001
docs: $(DOCS_INSTALLED)
	$(MKDOCS) serve --dev-addr 127.0.0.1:$(DOCS_PORT)

# --strict (mkdocs.yml): a broken link or anchor, or a page left out of nav, fails the build.
docs-build: $(DOCS_INSTALLED)
	$(MKDOCS) build --strict

# GraphiQL's assets for /graphql (no CDN): the npm packages pinned by gateway/graphql/package-lock.json.
GRAPHIQL := var/graphiql/node_modules/graphiql/graphiql.min.js
graphiql: $(GRAPHIQL)
$(GRAPHIQL): gateway/graphql/package.json gateway/graphql/package-lock.json
	@command -v npm >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends npm >/dev/null; }
	mkdir -p var/graphiql && cp gateway/graphql/package.json gateway/graphql/package-lock.json var/graphiql/
	npm ci --prefix var/graphiql --no-audit --no-fund --loglevel=error
	touch $@

# The typed clients' tools (clients/, issue 23): the Python generator and mypy pinned by
# requirements-clients.txt; openapi-typescript, openapi-fetch and tsc by clients/typescript's lock file.
CLIENT_TOOLS := $(VENV)/.clients-$(shell cksum requirements-clients.txt | cut -d' ' -f1)
$(CLIENT_TOOLS): $(INSTALLED) requirements-clients.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-clients.txt
	rm -f $(VENV)/.clients-* && touch $@

CLIENT_NPM := clients/typescript/node_modules/.package-lock.json
$(CLIENT_NPM): clients/typescript/package.json clients/typescript/package-lock.json
	@command -v npm >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends npm >/dev/null; }
	npm ci --prefix clients/typescript --no-audit --no-fund --loglevel=error
	touch $@

client-tools: $(CLIENT_TOOLS) $(CLIENT_NPM)

# Regenerate clients/ (the OpenAPI document, the Python package, the TypeScript types) from the
# routes' schemas, without a running system; commit the result (tests/clients/ check it is current).
clients: client-tools
	$(BIN)/python -m scripts.clients

run: $(INSTALLED) infra $(GRAPHIQL)
	$(BIN)/python -m scripts.run

# Prometheus + Alertmanager for a running `make run` (another terminal), until Ctrl-C: alerts of
# deploy/alerts.yml are printed as the webhook receiver gets them (scripts/monitor.py).
monitor: $(INSTALLED) monitor-tools
	$(BIN)/python -m scripts.monitor

monitor-tools:
	@command -v prometheus >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus >/dev/null; }
	@command -v prometheus-alertmanager >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null; }

# Every process of a running `make run`, as supervisord sees it (OMS_RUN_DIR: var/ unless set).
OMS_RUN_DIR ?= var
status: $(INSTALLED)
	@test -f $(OMS_RUN_DIR)/supervisord.conf || { echo "no $(OMS_RUN_DIR)/supervisord.conf: is \`make run\` running?" >&2; exit 1; }
	$(BIN)/supervisorctl -c $(OMS_RUN_DIR)/supervisord.conf status

test: $(INSTALLED) infra lint docs-build test-tools client-tools $(GRAPHIQL)
	$(BIN)/pytest $(PYTEST_ARGS)

# What the tests run besides the servers: Debian's Prometheus and Alertmanager (tests/operating/,
# promtool for deploy/alerts.yml; `make monitor`), headless
# Chromium (the /docs test, tests/e2e/test_docs_page.py) and poppler (pdftotext, pdftoppm: the
# invoice PDF tests), jq (the README's tour, tests/e2e/test_readme_tour.py).
test-tools: monitor-tools
	@command -v pdftotext >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends poppler-utils >/dev/null; }
	@command -v chromium >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium >/dev/null; }
	@command -v jq >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends jq >/dev/null; }

# The reliability suite of issue 4 (tests/reliability/, not part of `make test`, a few minutes):
# kills services and restarts RabbitMQ, PostgreSQL and Redis on this machine, briefly.
test-reliability: $(INSTALLED) infra
	OMS_RELIABILITY=1 $(BIN)/pytest tests/reliability -s $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .

# The load benchmark of issue 5 (tests/bench/, not part of `make test`): writes BENCHMARKS.md.
# BENCH_ARGS e.g. "--duration 30", "--url http://127.0.0.1:8000" (a running system), "--only order10".
BENCH_ARGS ?= --profile
bench: $(INSTALLED) infra
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python -m tests.bench.run $(BENCH_ARGS)

# Operator tools (operations/): read every service's database, or call the running services.
# GRACE: seconds a saga step in flight may take before it counts as a breach.
check-invariants: $(INSTALLED)
	$(BIN)/python -m operations.invariants $(if $(GRACE),--grace $(GRACE)) $(if $(JSON),--json)

# They act as an admin: EMAIL=<admin email> (password asked, or OMS_PASSWORD), or OMS_TOKEN=<token>.
LOGIN = $(if $(EMAIL),--email $(EMAIL))

dead-letters: $(INSTALLED)
	$(BIN)/python -m operations.dead_letters $(LOGIN) list $(SERVICE)

replay-dead-letters: $(INSTALLED)
	@test -n "$(SERVICE)" || { echo "usage: make replay-dead-letters SERVICE=<service> [ID=<dead letter id>]" >&2; exit 2; }
	$(BIN)/python -m operations.dead_letters $(LOGIN) replay $(SERVICE) $(ID)

discard-dead-letter: $(INSTALLED)
	@test -n "$(SERVICE)" -a -n "$(ID)" || { echo "usage: make discard-dead-letter SERVICE=<service> ID=<dead letter id>" >&2; exit 2; }
	$(BIN)/python -m operations.dead_letters $(LOGIN) discard $(SERVICE) $(ID)

# Rebuild the read side's order views from the command side while it serves, then switch over
# (operations/rebuild_order_queries.py); as an admin: EMAIL=... or OMS_TOKEN=...
rebuild-order-queries: $(INSTALLED)
	$(BIN)/python -m operations.rebuild_order_queries $(LOGIN)

# A short-lived admin token minted with the private key (no password): OMS_TOKEN=$$(make -s operator-token EMAIL=...)
operator-token: $(INSTALLED)
	@test -n "$(EMAIL)" || { echo "usage: make operator-token EMAIL=<admin email>" >&2; exit 2; }
	@$(BIN)/python -m operations.operator_token $(EMAIL)

# A self-signed certificate for the gateway in var/tls (GATEWAY_TLS_CERT / GATEWAY_TLS_KEY).
dev-cert: $(INSTALLED)
	$(BIN)/python -m scripts.dev_cert
