"""Paired comparison of two checkouts' vertex steps: the timings of bench_vertex.py, alternated.

Each round runs bench_vertex.morphosim_timings in a fresh interpreter, first in one checkout, then
in the other (the order swaps every pair: A B, B A, A B, ...), on the same sheets (planar open
Voronoi sheets and ellipsoid shells, as bench_vertex.py builds them). On a shared machine the
neighbours' load changes by the minute; runs side by side see about the same load, so compare the
two columns pair by pair rather than against figures of another day.

    .venv/bin/python bench/cells/bench_paired.py --base /tmp/base-checkout [--new .] [--pairs 3]
        [--planar 10000 100000] [--shell 10000 100000] [--threads 1 2] [--quick]

Prints, per sheet and thread count, ns per vertex of a force evaluation and of a step for each run,
and the median ratio new / base of the steps. Figures: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

# runs in the checkout's root, so that ``morphosim`` and bench_vertex are that checkout's
CHILD = r'''
import json, sys
import numpy as np
sys.path.insert(0, "bench/cells")
import bench_vertex as bench

settings = json.loads(sys.argv[1])
bench.ROUNDS, bench.SECONDS = settings["rounds"], settings["seconds"]
results = {}
for kind, n in settings["sheets"]:
    if kind == "planar":
        sheet = bench.make_sheet(n)
    else:
        radius = np.sqrt(n / (4 * np.pi))  # about unit cell area, as bench_vertex's shell row
        sheet = bench.Sheet.ellipsoid_shell(n, radii=(1.1 * radius, radius, 0.9 * radius), lloyd=1, seed=0)
    for threads in settings["threads"]:
        model = bench.VertexModel(K=bench.K, A0=1.0, Gamma=bench.GAMMA, Lambda=bench.LAMBDA)
        force, step = bench.morphosim_timings(sheet, model, threads)
        results[f"{kind} {n} x{threads}"] = [force / sheet.n_vertices * 1e9, step / sheet.n_vertices * 1e9]
print(json.dumps(results))
'''


def run(checkout: Path, settings: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(settings)], cwd=checkout, capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"{checkout}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--new", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--planar", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--shell", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="one pair of 10^4-cell sheets, short rounds")
    args = parser.parse_args()
    if args.quick:
        args.pairs, args.planar, args.shell, args.rounds, args.seconds = 1, [10_000], [10_000], 5, 0.3
    settings = {"rounds": args.rounds, "seconds": args.seconds, "threads": args.threads,
                "sheets": [("planar", n) for n in args.planar] + [("shell", n) for n in args.shell]}
    checkouts = {"base": args.base.resolve(), "new": args.new.resolve()}
    print(f"base {checkouts['base']}, new {checkouts['new']}; ns per vertex, force / step")
    steps = {"base": {}, "new": {}}
    for pair in range(args.pairs):
        order = ("base", "new") if pair % 2 == 0 else ("new", "base")
        for label in order:
            results = run(checkouts[label], settings)
            for case, (force, step) in results.items():
                steps[label].setdefault(case, []).append(step)
            print(f"pair {pair} {label:>4}: " + "  ".join(f"{case} {force:.1f} / {step:.1f}"
                                                         for case, (force, step) in results.items()), flush=True)
    print(f"{'case':>20} | {'base step (median)':>18} {'new step (median)':>17} | {'new / base (median of pairs)':>28}")
    for case in steps["base"]:
        base, new = steps["base"][case], steps["new"][case]
        ratios = [b / a for a, b in zip(base, new)]
        print(f"{case:>20} | {statistics.median(base):>18.1f} {statistics.median(new):>17.1f} | "
              f"{statistics.median(ratios):>28.3f}")


if __name__ == "__main__":
    main()
