"""The 3D flagship's furrow numbers, read from a run store: what README's gastrulation table reports.

    PYTHONPATH=. .venv/bin/python bench/coupling/flagship_numbers.py STORE [--onset 10] [--radii 250 90 90]

For each recorded frame after onset: Twist cells (> 0.5), the mesoderm/ectoderm apical area ratio in
the trunk (|x| < 150 µm), the apical/basal area ratio of both (wedges), the ventral midline's inward
displacement (median and smallest over the middle trunk's 20 µm slices), the yolk's volume against
frame 0, the tissue speed at the cells (median, max), the T1 swaps so far and the germband's AP span
against its span when planar myosin starts (10-90 % of x over the cells that were germband then:
trunk |x| < 175 µm, dv < 0.8, no Twist; as bench/coupling/germband3d.py); then when the midline
passed one cell height. The same measures as tests/scenarios/test_gastrulation.py, on stored frames
(the full 6000-cell run is too long for a test). A measurement, not a timed benchmark.
"""

import argparse

import numpy as np

from morphosim import open_run

TRUNK = 150.0         # µm: |x| below this is trunk (the poles' cells are neither band nor ectoderm)
CELL_HEIGHT = 35.0    # µm (cells.monolayer.height)
PLANAR_DELAY = 5.0    # min after onset: planar myosin starts (the circuit's delay_planar)


def midline_depth(apical: np.ndarray, radii: np.ndarray) -> tuple[float, float]:
    """(median, smallest) over the 20 µm slices of |x| < 100 µm of the deepest ventral apical vertex
    within 20 µm of the midline plane y = 0, its depth along the ellipsoid's radius (1 − |x / R|) c."""
    depth = (1.0 - np.linalg.norm(apical / radii, axis=1)) * radii[2]
    midline = (apical[:, 2] < 0) & (np.abs(apical[:, 1]) < 20.0)
    slices = [depth[midline & (apical[:, 0] >= x) & (apical[:, 0] < x + 20.0)].max() for x in range(-100, 100, 20)]
    return float(np.median(slices)), float(np.min(slices))


def enclosed_volume(positions: np.ndarray, cells) -> float:
    """Volume inside a closed surface of polygons (each fanned from its vertices' mean), by the
    divergence theorem: the tetrahedra (0, c, p_i, p_i+1) of the fans' triangles, c · (p_i × p_i+1) / 6."""
    volume = 0.0
    for ring in cells:
        points = positions[ring]
        centre = points.mean(axis=0)
        volume += np.dot(centre, np.cross(points, np.roll(points, -1, axis=0)).sum(axis=0)) / 6.0
    return abs(volume)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--onset", type=float, default=10.0, help="min (genes.parameters.onset)")
    parser.add_argument("--radii", type=float, nargs=3, default=(250.0, 90.0, 90.0), help="the egg's semi-axes, µm")
    args = parser.parse_args()
    run, radii = open_run(args.store), np.asarray(args.radii)
    yolk0 = enclosed_volume(run.frame(0).basal_vertices, run.frame(0).cells)
    print("t - onset | Twist | meso/ecto apical | wedges meso / ecto | depth median (min) | yolk | speed median / max "
          "| T1 | germband")
    passed, germband, start_span = None, None, None
    for k in range(len(run)):
        frame = run.frame(k)
        if frame.time < args.onset - 1e-9:
            continue
        data = frame.cell_data
        twist = frame.species["Twist"] > 0.5
        trunk = np.abs(data["centroid"][:, 0]) < TRUNK
        mesoderm, ectoderm = twist & trunk, ~twist & trunk
        apical, basal = data["apical_area"], data["basal_area"]
        median, smallest = midline_depth(frame.vertices, radii)
        if passed is None and median > CELL_HEIGHT:
            passed = frame.time - args.onset
        x = data["centroid"][:, 0]
        if germband is None and frame.time >= args.onset + PLANAR_DELAY - 1e-9:
            y, z = data["centroid"][:, 1], data["centroid"][:, 2]
            dv = np.abs(np.arctan2(y / radii[1], -z / radii[2])) / np.pi   # as coupling.inputs.embryo_coordinate
            germband = frame.cell_ids[(np.abs(x) < 175.0) & (dv < 0.8) & ~twist]
        extension = "-"
        if germband is not None:
            span = np.subtract(*np.percentile(x[np.isin(frame.cell_ids, germband)], [90, 10]))
            start_span = start_span or span
            extension = f"x{span / start_span:.3f}"
        print(f"{frame.time - args.onset:9.2f} | {twist.sum():5d} | {apical[mesoderm].mean() / apical[ectoderm].mean():16.3f} | "
              f"{np.mean(apical[mesoderm] / basal[mesoderm]):8.3f} / {np.mean(apical[ectoderm] / basal[ectoderm]):5.3f} | "
              f"{median:8.1f} ({smallest:5.1f}) µm | "
              f"{enclosed_volume(frame.basal_vertices, frame.cells) / yolk0:.4f} | "
              f"{np.median(data['flow_speed']):6.2f} / {data['flow_speed'].max():5.2f} µm/min | {frame.events.get('t1_swaps', 0)} | {extension}")
    print(f"the midline passed one cell height ({CELL_HEIGHT:g} µm) "
          + (f"by {passed:g} min after onset (frames every {np.diff(run.times).min():g} min)" if passed is not None
             else "in no recorded frame"))


if __name__ == "__main__":
    main()
