"""Germband extension on the 3D flagship's small variant: how far planar myosin extends the germband.

    PYTHONPATH=. .venv/bin/python bench/coupling/germband3d.py [--furrow] [--gain 0.3] [--end 40] [--set K=V ...]

Runs scenarios/gastrulation_small.yaml (MyoPlanar -> Lambda_planar on the apical and basal sides,
--gain nN per unit MyoPlanar instead of the scenario's), mechanosensitivity off, and without the
furrow's outputs unless --furrow. Prints every
2.5 min the germband's AP span (10-90 % of the x of the cells that were germband when planar myosin
started: trunk, ventrolateral, not mesoderm) beside the embryo's > 2.5x, the same span measured along
the egg's surface (meridional arc length from the anterior pole: on a closed egg x saturates at the
poles, where the embryo's germband turns dorsally), and the T1 swaps since then
with the share of lost neighbour pairs separated along AP (|cos| > 0.7 in the tangent plane; random
directions give 0.51). A measurement, not a timed benchmark.
"""

import argparse

import numpy as np

from morphosim import Simulation
from morphosim.coupling.inputs import embryo_coordinate
from morphosim.threads import configure

SCENARIO = "scenarios/gastrulation_small.yaml"
PLANAR_ONSET = 15.0   # min: genes.parameters.onset + the circuit's delay_planar


def neighbour_pairs(sheet) -> set:
    """(id, id) of every two cells sharing a side."""
    ids, owner, pairs = sheet.ids, {}, set()
    for cell, ring in enumerate(sheet.cells()):
        for a, b in zip(ring, np.roll(ring, -1)):
            side = (min(a, b), max(a, b))
            if side in owner:
                first, second = ids[owner[side]], ids[cell]
                pairs.add((min(first, second), max(first, second)))
            owner[side] = cell
    return pairs


def meridional_arc(points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Arc length from the anterior pole along the meridian of the ellipsoid of revolution (x the
    axis of revolution) through each point's angle: x = -a cos t, rho = b sin t, s = int sqrt(a^2 sin^2
    + b^2 cos^2) dt."""
    a, b = radii[0], radii[1]
    t = np.arctan2(np.hypot(points[:, 1], points[:, 2]) / b, -points[:, 0] / a)
    grid = np.linspace(0.0, np.pi, 2001)
    speed = np.sqrt((a * np.sin(grid)) ** 2 + (b * np.cos(grid)) ** 2)
    arc = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * np.diff(grid))])
    return np.interp(t, grid, arc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--furrow", action="store_true", help="keep the furrow's tension outputs")
    parser.add_argument("--gain", type=float, help="Lambda_planar per unit MyoPlanar (nN; default: the scenario's)")
    parser.add_argument("--end", type=float, default=40.0, help="simulated minutes")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a scenario override")
    args = parser.parse_args()
    configure()
    overrides = [f"time.end={args.end}", "genes.parameters.mechanosensitivity=0"]
    if args.gain is not None:
        overrides.append(f"genes.outputs.Lambda_planar={{species: MyoPlanar, base: 0.0, gain: {args.gain}}}")
    if not args.furrow:
        overrides += ["genes.outputs.apical_tension={species: MyoApical, base: 0.01, gain: 0.0}",
                      "genes.outputs.basal_tension={species: BasalRelax, base: 0.01, gain: 0.0}",
                      "genes.outputs.lateral_tension={species: BasalRelax, base: 0.0171, gain: 0.0}"]
    overrides += args.set
    simulation = Simulation.from_scenario(SCENARIO, overrides=overrides)
    radii = np.asarray(simulation.cells.sheet.radii)
    germband, start_span, start_arc, lost_along = None, None, None, []
    pairs = neighbour_pairs(simulation.cells.sheet)
    print(f"germband extension, planar gain {args.gain if args.gain is not None else 'of the scenario'} nN, "
          f"furrow {'on' if args.furrow else 'off'}")
    while simulation.time < args.end - 1e-9:
        simulation.step()
        cells = simulation.cells
        now = neighbour_pairs(cells.sheet)
        if germband is not None:
            slot = {cell_id: k for k, cell_id in enumerate(cells.sheet.ids)}
            for first, second in pairs - now:
                if first in slot and second in slot:
                    a, b = cells.centroids[slot[first]], cells.centroids[slot[second]]
                    normal = a / radii**2
                    normal /= np.linalg.norm(normal)
                    apart = (a - b) - normal * ((a - b) @ normal)
                    lost_along.append(abs(apart[0]) / np.linalg.norm(apart))
        pairs = now
        x = cells.centroids[:, 0]
        if germband is None and simulation.time >= PLANAR_ONSET - 1e-9:
            trunk = np.abs(x) < 175.0
            chosen = trunk & (embryo_coordinate(cells, "dv") < 0.8) & (simulation.species("Twist") < 0.5)
            germband = set(cells.sheet.ids[chosen].tolist())
        if germband is not None and abs(simulation.time / 2.5 - round(simulation.time / 2.5)) < 1e-9:
            inside = np.isin(cells.sheet.ids, list(germband))
            span = np.subtract(*np.percentile(x[inside], [90, 10]))
            arc = np.subtract(*np.percentile(meridional_arc(cells.centroids[inside], radii), [90, 10]))
            start_span, start_arc = start_span or span, start_arc or arc
            along = np.array(lost_along)
            print(f"t = {simulation.time:5.1f} min  span {span:6.1f} um  x{span / start_span:.3f}, along the surface "
                  f"x{arc / start_arc:.3f} (embryo > 2.5)  "
                  f"T1 since planar onset {len(along):3d}, along AP {np.mean(along > 0.7) if len(along) else 0:.2f} "
                  f"(random 0.51)", flush=True)


if __name__ == "__main__":
    main()
