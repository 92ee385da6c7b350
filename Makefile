# Quick start: `make demo` runs the flagship scenario, `make test` runs the test suite.
# Both set up .venv first (scripts/bootstrap.sh: finds or builds Python >= 3.12, installs morphosim).

.PHONY: setup demo test bench clean

setup:
	@bash scripts/bootstrap.sh

# The flagship: Drosophila gastrulation in 3D at its CI size (300 cells, ~5-10 min on 2 cores): the
# ventral furrow folds. Leaves out/gastrulation_small.zarr, a cross-section movie, a ventral still
# coloured by Twist and a plot. The 6000-cell embryo: scenarios/gastrulation.yaml.
demo: setup
	.venv/bin/morphosim run scenarios/gastrulation_small.yaml --overwrite
	.venv/bin/morphosim render out/gastrulation_small.zarr --out out/gastrulation_section.mp4 --section 0 --color Twist --camera yz --overwrite
	.venv/bin/morphosim render out/gastrulation_small.zarr --out out/gastrulation_ventral.png --color Twist --camera=-xy --overwrite
	.venv/bin/morphosim plot out/gastrulation_small.zarr --out out/gastrulation_plot.png --overwrite

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
