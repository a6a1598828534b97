# `make run` runs the system, `make test` runs every test; both set up what is missing.
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test lint infra

$(INSTALLED): requirements.txt scripts/quiet_eventlet.pth
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	# eventlet warns on every import; the filter, by message, must be in place before it.
	cp scripts/quiet_eventlet.pth $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/
	rm -f $(VENV)/.installed-* && touch $@

infra:
	@bash scripts/infra.sh

run: $(INSTALLED) infra
	$(BIN)/python -m scripts.run

test: $(INSTALLED) infra lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
