"""Morphogen transport: steady diffusion–decay around a point source, conservation, decay."""

import numpy as np
import pytest
import ufl
from scipy.special import k0

from morphosim.tissue import StokesBrinkman, Transport, disk_mesh, ellipsoid_surface_mesh


def test_steady_point_source_matches_bessel_profile():
    """Steady D Δc − k c + q δ = 0 in the plane: c = q/(2πD) K0(r/λ), λ = √(D/k)."""
    D, k, q = 2.0, 0.5, 3.0
    mesh = disk_mesh(12.0, 0.25)
    transport = Transport(mesh, {"bmp": {"D": D, "k": k}})
    transport.step(1e9, source_points=np.zeros((1, 3)), source_rates={"bmp": np.array([q])})
    decay_length = np.sqrt(D / k)
    r = np.linspace(0.5, 3.0, 25) * decay_length
    points = np.column_stack([r * np.cos(0.4), r * np.sin(0.4), 0 * r])
    exact = q / (2 * np.pi * D) * k0(r / decay_length)
    assert np.abs(transport.values_at(points)["bmp"] / exact - 1).max() < 0.02
    # steady state: secretion balances decay, k ∫c = q
    assert k * transport.total_amount("bmp") == pytest.approx(q, rel=1e-6)


def test_pure_advection_diffusion_conserves_mass_at_high_peclet():
    mesh = disk_mesh(5.0, 0.25)
    flow = StokesBrinkman(mesh, mu=1.0, gamma=1.0)
    x = ufl.SpatialCoordinate(mesh)
    velocity, _ = flow.solve(body_force=5.0 * ufl.as_vector([-x[1], x[0]]))
    transport = Transport(mesh, {"a": {"D": 1e-4}, "b": {"D": 0.1}}, velocity_space=flow.velocity_space)
    for name in ("a", "b"):
        transport.set_concentration(name, lambda X: np.exp(-((X[0] - 2.5) ** 2 + X[1] ** 2) / 0.5))
    initial = {name: transport.total_amount(name) for name in ("a", "b")}
    for _ in range(10):
        transport.step(0.05, velocity=velocity)
    for name in ("a", "b"):
        assert transport.total_amount(name) == pytest.approx(initial[name], rel=1e-12)
    # Péclet |v| h / D ~ 1e4 for "a": SUPG keeps over/undershoots small
    assert transport.concentration["a"].x.array.min() > -0.05
    assert transport.concentration["a"].x.array.max() < 1.05


def test_decay_and_secretion_on_the_surface():
    """Uniform field on a sphere: backward Euler gives c_n = c_0/(1 + kΔt)^n exactly; a point
    source adds exactly q Δt of mass per step (k = 0). "Exactly" up to quadrature: on the
    curved P2 geometry the surface Jacobian is not polynomial, so the operator's and the
    integral's quadratures differ slightly."""
    mesh = ellipsoid_surface_mesh((1.0, 1.0, 1.0), 0.3)
    transport = Transport(mesh, {"decaying": {"D": 0.3, "k": 0.7}, "secreted": {"D": 0.3}})
    transport.set_concentration("decaying", 2.0)
    area = transport.total_amount("decaying") / 2.0
    source = np.array([[0.0, 0.0, 1.0]])
    for _ in range(4):
        transport.step(0.1, source_points=source, source_rates={"secreted": np.array([1.5])})
    assert transport.total_amount("decaying") == pytest.approx(2.0 * area / 1.07**4, rel=1e-9)
    assert transport.total_amount("secreted") == pytest.approx(4 * 0.1 * 1.5, rel=1e-9)
    with pytest.raises(ValueError):
        transport.step(0.1, source_points=source, source_rates={"unknown": np.array([1.0])})
