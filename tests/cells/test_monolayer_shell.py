"""Closed monolayer shells: a uniform shell stays a smooth closed shell inside the vitelline membrane,
conserving cell and yolk volumes; apical constriction of a band folds it inward."""

import numpy as np
import pytest

from morphosim.cells import Monolayer, MonolayerModel, Sheet, Squeeze, VitellineMembrane, cell_centroids
from morphosim.cells.monolayer_dynamics import MonolayerOverdamped, relax

RADIUS, HEIGHT = 3.0, 0.6


def _shell():
    return Monolayer.from_sheet(Sheet.ellipsoid_shell(150, radii=(RADIUS,) * 3, seed=7), HEIGHT)


def _neighbour_angles(m):
    """Angle (degrees) between the apical area vectors of the two cells of every apical edge."""
    sheet = m.sheet
    normals = np.array([np.cross(m.apical_positions[loop] - m.apical_positions[loop].mean(0),
                                 np.roll(m.apical_positions[loop], -1, 0) - m.apical_positions[loop].mean(0)).sum(0)
                        for loop in sheet.cells()])
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    ne = sheet.n_half_edges
    left, right = sheet.face[:ne], sheet.face[sheet.twin[:ne]]
    cosine = np.einsum("ij,ij->i", normals[left], normals[right])
    return np.degrees(np.arccos(np.clip(cosine, -1, 1)))


def test_uniform_shell_stays_smooth_and_conserves_volumes():
    """Uniform tensions chosen near the flat tension balance of the initial shape (gl from
    h/sqrt(A) = 2 (ga + gb) / (gl sqrt(2 sqrt 3))), stiff cells (K_V), stiff yolk (K_Y) and a membrane 2%
    outside the apical surface. After overdamped steps and relaxation: check() holds, neighbouring apical
    normals stay within the initial spread (a smooth shell), the cell volumes stay within the stiffness
    tolerance |V - V0| <= p / K_V, p = (ga Sa + gb Sb + gl L) / V an upper estimate of the surface
    pressure, the yolk volume within 1e-3 of its initial value and every apical vertex inside the
    membrane to the wall's stiffness tolerance."""
    m = _shell()
    V0 = m.volumes().copy()
    area = m.apical_areas().mean()
    lateral = 2 * (1.0 + 1.0) / (HEIGHT / np.sqrt(area) * np.sqrt(2 * np.sqrt(3)))
    membrane = VitellineMembrane((1.02 * RADIUS,) * 3, stiffness=1000.0)
    model = MonolayerModel(1.0, 1.0, lateral, volume_stiffness=2000.0, V0=V0, yolk_stiffness=500.0, vitelline=membrane)
    initial_angles = _neighbour_angles(m)
    integrator = MonolayerOverdamped(model, xi=1.0)
    for _ in range(3):
        integrator.step(m, 0.005)
        assert m.check()
    result = relax(m, model, tolerance=1e-4, max_steps=3000)
    assert m.check()
    measures = m.measures()
    pressure = (measures[:, 0] + measures[:, 1] + lateral * measures[:, 4]) / measures[:, 2]
    volume_error = np.abs(m.volumes() - V0)
    yolk_error = abs(m.yolk_volume() / m.reference_yolk_volume - 1)
    rho = np.sqrt(((m.apical_positions / membrane.radii) ** 2).sum(axis=1))
    angles = _neighbour_angles(m)
    print(f"relax {result['steps']} its, max force {result['max_force']:.2e}; max |V - V0| / (p / K_V) "
          f"{(volume_error / (pressure / 2000.0)).max():.3f}, max |V/V0 - 1| {(volume_error / V0).max():.2e}; "
          f"yolk {yolk_error:.2e}; max rho - 1 {rho.max() - 1:.2e}; neighbour angle max {angles.max():.1f} deg "
          f"(initial {initial_angles.max():.1f})")
    assert np.all(volume_error <= pressure / 2000.0)
    assert yolk_error < 1e-3
    assert rho.max() - 1 < 1e-3
    assert angles.max() < 1.5 * initial_angles.max()


def test_apical_constriction_of_a_ventral_band_folds_it_inward():
    """A band of cells on one side of the shell (|z| < 1, y < 0: a ventral furrow's primordium) with six
    times the apical tension, the rest at the uniform shell's tension balance; stiff cells and yolk,
    membrane 5% outside. The band's apical midline (apical vertices with |z| < 0.3, y < -2) moves toward
    the centre by more than one cell height and the band's cells become wedges (apical / basal area
    < 0.5) while the yolk keeps its volume; check() holds on the folded shell."""
    m = _shell()
    V0 = m.volumes().copy()
    lateral = 2 * (1.0 + 1.0) / (HEIGHT / np.sqrt(m.apical_areas().mean()) * np.sqrt(2 * np.sqrt(3)))
    centres = cell_centroids(m.sheet)
    band = (np.abs(centres[:, 2]) < 1.0) & (centres[:, 1] < 0)
    model = MonolayerModel(np.where(band, 6.0, 1.0), 1.0, lateral, volume_stiffness=2000.0, V0=V0,
                           yolk_stiffness=20.0, vitelline=(1.05 * RADIUS,) * 3)
    result = relax(m, model, tolerance=1e-4, max_steps=2500)
    assert m.check()
    apical = m.apical_positions
    midline = (np.abs(apical[:, 2]) < 0.3) & (apical[:, 1] < -2.0)
    depth = RADIUS - np.linalg.norm(apical[midline], axis=1).mean()
    ratio = m.apical_areas() / m.basal_areas()
    yolk = m.yolk_volume() / m.reference_yolk_volume
    print(f"{band.sum()} band cells, relax {result['steps']} its (max force {result['max_force']:.2g}): midline "
          f"depth {depth:.3f} (cell height {HEIGHT}), apical/basal area band {ratio[band].mean():.3f} "
          f"(max {ratio[band].max():.3f}), rest {ratio[~band].mean():.3f}; yolk V/V0 {yolk:.5f}")
    assert depth > HEIGHT
    assert ratio[band].mean() < 0.5
    assert abs(yolk - 1) < 1e-3


def test_a_squeezed_membrane_presses_the_shell_along_its_axis_only():
    """Squeeze(axis=1, fraction=0.1, start=1, ramp=2): the membrane's y radius follows
    R_y (1 - 0.1 min(1, max(0, (t - 1)/2))). Squeezed to its end, each apical vertex outside it feels
    the wall's force k_w R (rho - 1) along grad rho, rho = |x / R(t)| (checked against that formula),
    and the relaxed shell ends inside the squeezed membrane: narrower along y, not along z."""
    m = _shell()
    squeeze = Squeeze(axis=1, fraction=0.1, start=1.0, ramp=2.0)
    membrane = VitellineMembrane((RADIUS,) * 3, stiffness=200.0, squeeze=squeeze)
    model = MonolayerModel(1.0, 1.0, 4.0, volume_stiffness=500.0, V0=m.volumes().copy(), yolk_stiffness=50.0,
                           vitelline=membrane)
    for time, expected in ((0.0, 1.0), (1.0, 1.0), (2.0, 0.95), (3.0, 0.9), (9.0, 0.9)):
        model.set_time(time)
        assert membrane.radii == pytest.approx([RADIUS, expected * RADIUS, RADIUS], rel=1e-14)
    alone = MonolayerModel(1.0, 1.0, 4.0, volume_stiffness=500.0, V0=m.volumes().copy(), yolk_stiffness=50.0)
    apical_wall = model.forces(m)[0] - alone.forces(m)[0]
    radii = membrane.radii
    scaled = m.apical_positions / radii
    rho = np.linalg.norm(scaled, axis=1)
    scale = np.prod(radii) ** (1 / 3)
    expected = -200.0 * scale * np.maximum(rho - 1, 0)[:, None] * scale * scaled / radii / rho[:, None]
    assert np.any(rho > 1.05)
    assert np.abs(apical_wall - expected).max() < 1e-9 * np.abs(expected).max()
    relax(m, model, tolerance=1e-3, max_steps=2000)
    extent = np.abs(m.apical_positions).max(axis=0)
    assert extent[1] < 0.93 * RADIUS < 0.98 * RADIUS < extent[2]
