import numpy as np
import pytest
import ufl
from tests.tissue.norms import l2_norm

from morphosim.tissue import (
    ball_mesh,
    box_mesh,
    disk_mesh,
    ellipsoid_surface_mesh,
    ellipsoid_volume_mesh,
    mesh_info,
    rectangle_mesh,
)


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


def volume(mesh):
    return l2_norm(ufl.as_ufl(1.0), mesh) ** 2


def test_box_volume_and_dihedral_angle():
    mesh = box_mesh((1.0, 2.0, 0.5), 0.25, origin=(-0.5, 0.0, 0.0))
    assert volume(mesh) == pytest.approx(1.0, rel=1e-12)
    assert mesh.topology.index_map(3).size_global == 6 * 4 * 8 * 2
    assert mesh_info(mesh).min_dihedral_angle == pytest.approx(45.0)   # six Kuhn tetrahedra per cube


def test_ball_volume_vertices_on_sphere_reproducible():
    mesh = ball_mesh(2.0, 0.5)
    x = mesh.geometry.x
    assert np.abs(np.linalg.norm(x, axis=1)).max() == pytest.approx(2.0, rel=1e-9)
    # inscribed polyhedron: a little below 4/3 π R³, by O(h²)
    assert 0.95 * 4 / 3 * np.pi * 8 < volume(mesh) < 4 / 3 * np.pi * 8
    assert mesh_info(mesh).min_dihedral_angle > 10.0
    again = ball_mesh(2.0, 0.5)
    assert np.array_equal(again.geometry.x, x)
    assert np.array_equal(again.geometry.dofmaps[0], mesh.geometry.dofmaps[0])


def test_ellipsoid_volume_mesh_with_refined_shell():
    radii = (2.5, 0.9, 0.9)
    coarse = ellipsoid_volume_mesh(radii, 0.4)
    shelled = ellipsoid_volume_mesh(radii, 0.4, shell=0.2, shell_mesh_size=0.15)
    exact = 4 / 3 * np.pi * np.prod(radii)
    for mesh in (coarse, shelled):
        x = mesh.geometry.x
        assert (x**2 / np.square(radii)).sum(axis=1).max() == pytest.approx(1.0, rel=1e-9)
        assert 0.93 * exact < volume(mesh) < exact
        assert mesh_info(mesh).min_dihedral_angle > 3.0
    assert mesh_info(shelled).shell == (0.2, 0.15)
    # the shell is finer: more cells, and the cells touching the surface are smaller
    assert shelled.topology.index_map(3).size_global > 2 * coarse.topology.index_map(3).size_global
    assert volume(shelled) > volume(coarse)   # finer boundary polyhedron fills more of the ellipsoid
    again = ellipsoid_volume_mesh(radii, 0.4, shell=0.2, shell_mesh_size=0.15)
    assert np.array_equal(again.geometry.x, shelled.geometry.x)


def test_volume_mesh_bad_input():
    with pytest.raises(ValueError, match="radius"):
        ball_mesh(-1.0, 0.2)
    with pytest.raises(ValueError, match="lengths"):
        box_mesh((1.0, 1.0), 0.2)
    with pytest.raises(ValueError, match="shell"):
        ellipsoid_volume_mesh((1, 1, 1), 0.2, shell=0.0)
