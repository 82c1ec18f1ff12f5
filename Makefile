# The two commands a newcomer needs: `make run` (serve the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JEJAK := $(BIN)/jejak
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-browser-stress lint typecheck pytest bench bench-trace bench-warn bench-national bench-posters messages clean

setup: $(VENV)/.installed
	@if [ -f package.json ]; then $(MAKE) --no-print-directory node_modules/.installed; fi
	$(JEJAK) migrate --noinput -v 0

# Reinstall only when the pins change, so a second `make setup` takes a second.
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: setup
	$(JEJAK) demo --if-empty
	$(JEJAK) collectstatic --noinput -v 0
	@# DEMO ONLY: the demo's officer accounts sign in without enrolling a second factor.
	@# The demo's codes and messages open the address it is served on. Tasks go to the
	@# Procfile's workers through the database (SQLite too), as in production.
	HOST=$(HOST) JEJAK_DEMO_SKIP_SECOND_FACTOR=$${JEJAK_DEMO_SKIP_SECOND_FACTOR:-true} \
		JEJAK_PUBLIC_URL=$${JEJAK_PUBLIC_URL:-http://$(HOST):$(PORT)} \
		JEJAK_TASK_BACKEND=$${JEJAK_TASK_BACKEND:-django_tasks_db.DatabaseBackend} \
		$(BIN)/honcho start --port $(PORT) --procfile Procfile

# The sample partner app (examples/partner/) beside the demo server, registered (once) as
# an approved public client. DEMO ONLY: its redirect is http on loopback, which only
# JEJAK_PARTNER_REDIRECT_SCHEMES=https,http allows (production: https). docs/partners.md.
PARTNER_PORT ?= 8001
PARTNER_NAME := Mitra Contoh
# Printed to paste into the sample: the city hall's first poster code.
PARTNER_POSTER := from jejak.qrcodes.models import QrCode; print(QrCode.objects.filter( \
	entry_point__venue__short_code='PUSPEM-TNG', status='active').first().token)
.PHONY: partner-demo
partner-demo: setup
	$(JEJAK) demo --if-empty
	$(JEJAK) collectstatic --noinput -v 0
	@export JEJAK_PARTNER_REDIRECT_SCHEMES=https,http; \
	client=$$($(JEJAK) partner list | awk -F'\t' '$$3 == "$(PARTNER_NAME)" { print $$5; exit }'); \
	if [ -z "$$client" ]; then \
		client=$$($(JEJAK) partner add --name "$(PARTNER_NAME)" --organisation "PT Mitra Contoh" \
			--contact mitra@contoh.example --scopes checkin --approve \
			--redirect-uri http://127.0.0.1:$(PARTNER_PORT)/callback \
			| awk '$$1 == "client_id" { print $$2 }'); \
	fi; \
	[ -n "$$client" ] || { echo "could not register $(PARTNER_NAME)" >&2; exit 1; }; \
	$(JEJAK) partner approve "$$client" >/dev/null; \
	echo "$(PARTNER_NAME): http://127.0.0.1:$(PARTNER_PORT)/ (client_id $$client)"; \
	echo "A poster code to paste (PUSPEM-TNG): $$($(JEJAK) shell -v 0 -c "$(PARTNER_POSTER)")"; \
	HOST=$(HOST) JEJAK_DEMO_SKIP_SECOND_FACTOR=$${JEJAK_DEMO_SKIP_SECOND_FACTOR:-true} \
		JEJAK_PUBLIC_URL=$${JEJAK_PUBLIC_URL:-http://$(HOST):$(PORT)} \
		JEJAK_URL=http://$(HOST):$(PORT) PARTNER_CLIENT_ID=$$client PARTNER_PORT=$(PARTNER_PORT) \
		$(BIN)/honcho start --port $(PORT) --procfile examples/partner/Procfile

test: setup lint typecheck pytest

lint:
	$(BIN)/ruff check src examples
	$(BIN)/ruff format --check src examples
	$(BIN)/lint-imports --no-cache
	@# Security scan: no high or medium finding; accepted ones carry `# nosec` and a reason.
	$(BIN)/bandit -c pyproject.toml -r src -ll -q

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

# The browser tests, 5 runs in a row while stress-ng keeps every core busy: a test that
# passes only on an idle machine fails here (docs/architecture.md, "Tests").
STRESS_RUNS ?= 5
test-browser-stress: setup
	@command -v stress-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq stress-ng; }
	@stress-ng --cpu $$(nproc) --timeout 3600s --quiet & load=$$!; \
	trap 'kill $$load 2>/dev/null' EXIT; \
	for run in $$(seq $(STRESS_RUNS)); do \
		echo "== browser tests, run $$run of $(STRESS_RUNS), under stress-ng"; \
		$(BIN)/pytest -m browser -q $(PYTEST_ARGS) || exit 1; \
	done

# The check-in benchmark (API and web-app paths, docs/performance.md) needs PostgreSQL
# (this machine's, trust auth) and Debian's wrk.
BENCH_DB ?= jejak_bench
BENCH_URL := postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
bench: setup
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $(BENCH_DB)"
	psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $(BENCH_DB)"
	DATABASE_URL=$(BENCH_URL) $(JEJAK) migrate --noinput -v 0
	DATABASE_URL=$(BENCH_URL) $(JEJAK) bench-checkins $(BENCH_ARGS)

# Tracing at ten million check-ins (PostgreSQL), then at a tenth of that on SQLite.
TRACE_DB ?= jejak_bench_trace
TRACE_URL := postgres://postgres@127.0.0.1:5432/$(TRACE_DB)
bench-trace: setup
	psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $(TRACE_DB)"
	psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $(TRACE_DB)"
	DATABASE_URL=$(TRACE_URL) $(JEJAK) migrate --noinput -v 0
	DATABASE_URL=$(TRACE_URL) $(JEJAK) bench-trace $(BENCH_ARGS)

# Issue 20: 10,903 positive results in one FHIR bundle among ten million check-ins,
# imported and traced (PostgreSQL; BENCH_ARGS=--small for a quick run).
WARN_DB ?= jejak_bench_warn
WARN_URL := postgres://postgres@127.0.0.1:5432/$(WARN_DB)
bench-warn: setup
	@# --reuse traces again in the database an earlier --keep left: not dropped then.
	case " $(BENCH_ARGS) " in *" --reuse "*) ;; *) \
	  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $(WARN_DB)" && \
	  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $(WARN_DB)";; esac
	DATABASE_URL=$(WARN_URL) $(JEJAK) migrate --noinput -v 0
	DATABASE_URL=$(WARN_URL) $(JEJAK) bench-warn $(BENCH_ARGS)

# Issue 21: a province's 50 million check-ins on partitioned PostgreSQL with a streaming
# replica, in clusters of its own under a temporary folder (about 71 GB of disk; not in
# CI). BENCH_ARGS="--checkins 2000000 --people 400000 --venues 2000" for a try.
bench-national: setup
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(JEJAK) bench-national $(BENCH_ARGS)

bench-posters: setup
	$(JEJAK) bench-posters

# The browser tests save the README's screenshots (docs/screenshots/*.png) when
# JEJAK_SCREENSHOTS names a folder.
screenshots: setup
	JEJAK_SCREENSHOTS=docs/screenshots $(BIN)/pytest -m browser -q

messages: setup
	cd src/jejak && ../../$(JEJAK) makemessages -l en --no-obsolete --ignore "*/tests/*" && ../../$(JEJAK) compilemessages

clean:
	rm -rf $(VENV) node_modules
