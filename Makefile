# The two commands of the README: `make demo` (main job, lands with the demo) and `make test`.
# Both install what they need on a fresh Debian/Ubuntu machine with Python 3.11+, make and apt.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test test-fast test-arm64 test-py310 demo wheel edge-constraints clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# mosquitto and influxdb are installed from Debian packages by the test fixtures when missing. Tests run in 4
# processes: many wait on servers, apt or the network, so 4 beat 2 even on 2 cores; the Debian root tests stay in one.
# numpy's BLAS keeps to one thread per process: 4 workers already fill the cores, and two BLAS threads each made the
# privacy benchmark's QR decompositions 1.4x slower beside other work (past its 15-minute timeout on a busy machine).
test: install
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest -q -n 4 --dist loadgroup

# unit tests of pure logic: no servers, no rendered scenes
test-fast: install
	$(BIN)/pytest -q -n 2 -m "not integration and not scene"

# the edge playbook on an emulated arm64 root, counting as on x86 (~25 min; tests/ansible/test_arm64.py)
test-arm64: install
	FOOTFALL_ARM64=1 $(BIN)/pytest -q -s tests/ansible/test_arm64.py

# the edge on Python 3.10 (JetPack 6) in an Ubuntu jammy root: its unit tests, a replay, site.yml (~8 min; in `test` too)
test-py310: install
	$(BIN)/pytest -q -m oldpython

# local mosquitto + influxd, a rendered mall scene, edge units publishing, ingest, InfluxDB, a summary vs truth
demo: install
	$(BIN)/footfall-bench demo --out out/demo

# the wheel ansible/ installs on edge units (edge_app_wheel): footfall.protocol and footfall.edge only (setup.py)
wheel: install
	rm -rf dist && FOOTFALL_TARGET=edge $(BIN)/pip wheel -q --no-deps -w dist .

# pin what a fresh edge venv resolves to, so every unit runs the same versions
edge-constraints: wheel
	rm -rf build/constraints-venv && $(PYTHON) -m venv build/constraints-venv
	build/constraints-venv/bin/pip install -q "footfall[edge] @ file://$(CURDIR)/$$(ls dist/*.whl)"
	{ sed -n 1,2p deploy/constraints-edge.txt; build/constraints-venv/bin/pip freeze | grep -v '^footfall'; } > build/c.txt
	mv build/c.txt deploy/constraints-edge.txt

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
