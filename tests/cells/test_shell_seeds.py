"""Cell seeds on the embryo's ellipsoid (Sheet.ellipsoid_shell): random, or even in area."""

import numpy as np
import pytest

from morphosim.cells import Sheet, SheetError, cell_areas, cell_centroids


def test_even_seeds_tile_a_prolate_egg_in_equal_areas():
    """seeds="even": cells of equal area on the ellipsoid itself (coefficient of variation a few %),
    the same number of cells on either side of every plane through the axis; random seeds after
    Lloyd steps leave large-scale imbalances (the reason for the option)."""
    radii = (250.0, 90.0, 90.0)
    even = Sheet.ellipsoid_shell(300, radii=radii, seed=1, seeds="even")
    assert even.check() and even.n_cells == 300
    areas, centres = cell_areas(even), cell_centroids(even)
    assert areas.std() / areas.mean() < 0.05
    assert abs(areas.sum() - ellipsoid_area(radii)) < 0.02 * ellipsoid_area(radii)
    random = Sheet.ellipsoid_shell(300, radii=radii, seed=1)
    random_centres = cell_centroids(random)
    for axis in (1, 2):
        assert abs(np.sum(centres[:, axis] < 0) - 150) <= 3
    assert max(abs(np.sum(random_centres[:, axis] < 0) - 150) for axis in (1, 2)) > 3 * 3
    with pytest.raises(SheetError, match="two equal radii"):
        Sheet.ellipsoid_shell(50, radii=(3.0, 2.0, 1.0), seeds="even")


def ellipsoid_area(radii) -> float:
    """Surface of the prolate spheroid a > b = c: 2 pi b^2 (1 + a/(b e) arcsin e), e^2 = 1 - b^2/a^2."""
    a, b, _ = radii
    e = np.sqrt(1.0 - (b / a) ** 2)
    return 2 * np.pi * b * b * (1.0 + a / (b * e) * np.arcsin(e))


def test_even_cells_are_round_on_a_long_egg():
    """Tessellated on the ellipsoid itself (tessellation="surface"), the trunk cells of a 500 x 180 egg
    are as long along the axis as across it (their corners' spread along the AP and DV tangents: mean
    log ratio ~0.05) and equal in area to 4 %, where the spherical diagram scaled onto the egg makes
    them ~2.6x longer along it (log ratio ~0.96)."""
    radii = np.array([250.0, 90.0, 90.0])

    def elongation(sheet):
        ratios = []
        for ring, centre in zip(sheet.cells(), cell_centroids(sheet)):
            if abs(centre[0]) > 150.0:
                continue
            normal = centre / radii**2
            normal /= np.linalg.norm(normal)
            along = np.array([1.0, 0.0, 0.0]) - normal * normal[0]
            along /= np.linalg.norm(along)
            across = np.cross(normal, along)
            corners = sheet.positions[ring] - centre
            ratios.append(0.5 * np.log(np.mean((corners @ along) ** 2) / np.mean((corners @ across) ** 2)))
        assert len(ratios) > 150
        return np.array(ratios)

    surface = Sheet.ellipsoid_shell(300, radii=radii, seed=1, seeds="even", tessellation="surface")
    assert surface.check() and surface.n_cells == 300
    round_cells = elongation(surface)
    assert abs(round_cells.mean()) < 0.2 and round_cells.std() < 0.2
    areas = cell_areas(surface)
    assert areas.std() / areas.mean() < 0.05
    assert abs(areas.sum() - ellipsoid_area(radii)) < 0.02 * ellipsoid_area(radii)   # flat polygons
    assert elongation(Sheet.ellipsoid_shell(300, radii=radii, seed=1, seeds="even")).mean() > 0.8
    with pytest.raises(SheetError, match="needs seeds='even'"):
        Sheet.ellipsoid_shell(50, radii=radii, tessellation="surface")
