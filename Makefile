# Quick start: `make demo` runs the flagship scenario, `make test` runs the test suite.
# Both set up .venv first (scripts/bootstrap.sh: finds or builds Python >= 3.12, installs morphosim).

.PHONY: setup demo test bench clean

setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/morphosim info
	.venv/bin/python scripts/demo.py

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python -m pip install --quiet -e ".[bench]"
	.venv/bin/morphosim bench

clean:
	rm -rf .venv out
