"""The tissue scale alone: Stokes flow in a periodic box driven by a shear force, against the exact answer.

−μ Δv + ∇p + γ v = f with f = (sin(2πy/L), 0): v = (sin(2πy/L) / (μ k² + γ), 0), k = 2π/L.
"""

import numpy as np
import ufl

from morphosim import tissue

L, mu, gamma = 4.0, 1.0, 0.5
mesh = tissue.rectangle_mesh(L, L, 0.25, periodic=True)
flow = tissue.StokesBrinkman(mesh, mu=mu, gamma=gamma)
k = 2 * np.pi / L
x = ufl.SpatialCoordinate(mesh)
velocity, pressure = flow.solve(body_force=ufl.as_vector([ufl.sin(k * x[1]), 0.0]))

points = np.column_stack([np.full(50, 1.3), np.linspace(0, L, 50, endpoint=False), np.zeros(50)])
computed = flow.point_operator(points).interpolate(velocity)[:, 0]
exact = np.sin(k * points[:, 1]) / (mu * k**2 + gamma)
print(f"{flow.num_unknowns} unknowns, largest error {np.abs(computed - exact).max():.2e} "
      f"of a peak speed {np.abs(exact).max():.3f}")
assert np.abs(computed - exact).max() < 1e-3 * np.abs(exact).max()
