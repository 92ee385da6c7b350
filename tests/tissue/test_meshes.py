import numpy as np
import pytest
import ufl
from tests.tissue.norms import l2_norm

from morphosim.tissue import disk_mesh, ellipsoid_surface_mesh, mesh_info, rectangle_mesh


def area(mesh):
    return l2_norm(ufl.as_ufl(1.0), mesh) ** 2


def test_rectangle_area_and_size():
    mesh = rectangle_mesh(3.0, 2.0, 0.25, origin=(-1.5, -1.0))
    assert area(mesh) == pytest.approx(6.0, rel=1e-12)
    assert mesh.geometry.x[:, 0].min() == pytest.approx(-1.5)
    assert mesh.topology.index_map(2).size_global == 2 * 12 * 8
    assert mesh_info(mesh).periodic == (False, False)
    assert mesh_info(rectangle_mesh(1, 1, 0.5, periodic=(True, False))).periodic == (True, False)


def test_disk_is_inscribed_polygon_of_right_size():
    radius, size = 2.0, 0.1
    mesh = disk_mesh(radius, size)
    x = mesh.geometry.x
    assert np.linalg.norm(x[:, :2], axis=1).max() == pytest.approx(radius)
    n_boundary = int(np.ceil(2 * np.pi * radius / size))
    polygon = 0.5 * n_boundary * radius**2 * np.sin(2 * np.pi / n_boundary)
    assert area(mesh) == pytest.approx(polygon, rel=1e-12)
    assert mesh.h(2, np.arange(mesh.topology.index_map(2).size_local, dtype=np.int32)).max() < 2.0 * size


def test_ellipsoid_nodes_on_surface_and_area_converges():
    radii = (2.0, 1.0, 1.5)
    mesh = ellipsoid_surface_mesh(radii, 0.2)
    x = mesh.geometry.x
    assert np.abs(((x / radii) ** 2).sum(axis=1) - 1.0).max() < 1e-12
    assert mesh.geometry.dim == 3 and mesh.topology.dim == 2
    # sphere: quadratic geometry -> area error O(h^4); flat triangles -> O(h^2)
    exact = 4 * np.pi
    curved = [abs(area(ellipsoid_surface_mesh((1, 1, 1), h)) - exact) for h in (0.4, 0.2)]
    flat = [abs(area(ellipsoid_surface_mesh((1, 1, 1), h, degree=1)) - exact) for h in (0.4, 0.2)]
    assert curved[1] < 1e-3 * exact and curved[0] / curved[1] > 10
    assert 3 < flat[0] / flat[1] < 5


@pytest.mark.parametrize(
    "call",
    [
        lambda: rectangle_mesh(-1, 1, 0.1),
        lambda: disk_mesh(1.0, 0.0),
        lambda: ellipsoid_surface_mesh((1, 1), 0.1),
        lambda: ellipsoid_surface_mesh((1, 1, 1), 0.1, degree=3),
    ],
)
def test_bad_mesh_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
