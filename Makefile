# Quick start: `make demo` runs the flagship scenario, `make test` runs the test suite.
# Both set up .venv first (scripts/bootstrap.sh: finds or builds Python >= 3.12, installs morphosim).

.PHONY: setup demo test bench clean

setup:
	@bash scripts/bootstrap.sh

# The flagship: convergent extension on an embryo-shaped shell (3000 cells, ~2 min on 2 cores);
# leaves out/convergent_extension.zarr, a movie and a plot.
demo: setup
	.venv/bin/morphosim run scenarios/convergent_extension.yaml --overwrite
	.venv/bin/morphosim render out/convergent_extension.zarr --out out/convergent_extension.mp4 --color area --camera xz --overwrite
	.venv/bin/morphosim plot out/convergent_extension.zarr --out out/convergent_extension_plot.png --overwrite

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	@# tyssue (the vertex-model reference) needs CGAL headers to import its compiled part
	@if [ ! -e /usr/include/CGAL ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get -qq update && apt-get -qq install -y --no-install-recommends libcgal-dev >/dev/null; fi
	.venv/bin/python -m pip install --quiet -e ".[bench]"
	.venv/bin/morphosim bench

clean:
	rm -rf .venv out
