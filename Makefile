# The two commands of the README: `make demo` (main job, lands with the demo) and `make test`.
# Both install what they need on a fresh Debian/Ubuntu machine with Python 3.11+, make and apt.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# mosquitto and influxdb are installed from Debian packages by the test fixtures when missing.
test: install
	$(BIN)/pytest -q

# local mosquitto + influxd, a rendered mall scene, edge units publishing, ingest, InfluxDB, a summary vs truth
demo: install
	$(BIN)/footfall-bench demo --out out/demo

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
