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
