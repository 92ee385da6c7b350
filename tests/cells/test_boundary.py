"""The boundary conditions of morphosim.cells.boundary: minimum image, wrapping, retraction onto
the ellipsoid, surface normal and tangential projection, each against its formula."""

import numpy as np
import pytest

from morphosim.cells import Sheet
from morphosim.cells.boundary import (PERIODIC, PLANAR, SHELL, as_boundary, displacement, make_boundary, retract,
                                      surface_normal, tangential, wrap)


def boundary(periodic=False, box=(0.0, 0.0), radii=(0.0, 0.0, 0.0)):
    return as_boundary(make_boundary(periodic, np.array([*box, 0.0]), np.array(radii, float)))


def test_periodic_displacement_is_the_minimum_image_and_wrap_lands_in_the_box():
    b = boundary(True, (10.0, 4.0))
    assert b.kind == PERIODIC
    vertices = np.array([[0.1, 3.9, 0.0], [9.9, 0.2, 0.0]])
    assert displacement(b, vertices, 0, 1) == pytest.approx((-0.2, 0.3, 0.0))
    assert wrap(b, -0.5, 9.0) == pytest.approx((9.5, 1.0))
    planar = boundary(False, (10.0, 4.0))
    assert planar.kind == PLANAR
    assert displacement(planar, vertices, 0, 1) == pytest.approx((9.8, -3.7, 0.0))
    assert wrap(planar, -0.5, 9.0) == (-0.5, 9.0)


def test_retract_puts_a_point_on_the_ellipsoid_along_its_ray():
    b = boundary(radii=(3.0, 2.0, 1.0))
    assert b.kind == SHELL
    vertices = np.array([[1.0, 1.5, 0.9]])
    start = vertices[0].copy()
    retract(b, vertices, 0)
    assert np.sum((vertices[0] / [3.0, 2.0, 1.0]) ** 2) == pytest.approx(1.0, abs=1e-14)
    assert np.cross(vertices[0], start) == pytest.approx(np.zeros(3), abs=1e-14)


def test_surface_normal_is_the_unit_gradient_and_tangential_removes_it():
    b = boundary(radii=(3.0, 2.0, 1.0))
    point = np.array([[1.2, -0.8, 0.5]])
    retract(b, point, 0)
    x, y, z = point[0]
    gradient = np.array([2 * x / 9.0, 2 * y / 4.0, 2 * z])
    assert surface_normal(b, x, y, z) == pytest.approx(gradient / np.linalg.norm(gradient), abs=1e-14)
    u = tangential(b, point, 0, 0.3, -1.0, 2.0)
    assert np.dot(u, gradient) == pytest.approx(0.0, abs=1e-14)
    assert tangential(boundary(), point, 0, 0.3, -1.0, 2.0) == (0.3, -1.0, 2.0)
    assert surface_normal(boundary(), x, y, z) == (0.0, 0.0, 1.0)


def test_a_sheet_reports_its_boundary():
    assert as_boundary(Sheet.hexagonal(4, 4, periodic=True).boundary).kind == PERIODIC
    assert as_boundary(Sheet.hexagonal(3, 3).boundary).kind == PLANAR
    shell = Sheet.ellipsoid_shell(40, radii=(2.0, 1.5, 1.0), lloyd=1, seed=0)
    assert tuple(as_boundary(shell.boundary))[3:] == (2.0, 1.5, 1.0)

