"""Curvature of the ellipsoid x²/a² + y²/b² + z²/c² = 1, on which shells are built.

At a point of the surface, with S = x²/a⁴ + y²/b⁴ + z²/c⁴ (Weisstein, "Ellipsoid", MathWorld; the
Gaussian and mean curvature of the ellipsoid):

    K = 1 / (a² b² c² S²),     H = |x² + y² + z² − a² − b² − c²| / (2 a² b² c² S^{3/2}),

and the principal curvatures are H ± sqrt(H² − K). A monolayer extruded inward by more than the
smallest radius of curvature 1/(H + sqrt(H² − K)) turns its basal faces inside out: at the poles of a
prolate egg that radius is b²/a (32 µm for the 250 × 90 µm half-axes of a Drosophila egg).
"""

from __future__ import annotations

import numpy as np


def smallest_curvature_radius(points: np.ndarray, radii) -> np.ndarray:
    """1 / (largest principal curvature) of the ellipsoid at each of `points` (N, 3), which should
    lie on it (a point off the surface gets the value of its scaled image on the surface)."""
    a, b, c = (float(r) for r in radii)
    scale = np.sqrt((points[:, 0] / a) ** 2 + (points[:, 1] / b) ** 2 + (points[:, 2] / c) ** 2)
    x, y, z = (points / np.maximum(scale, 1e-300)[:, None]).T
    s = x ** 2 / a ** 4 + y ** 2 / b ** 4 + z ** 2 / c ** 4
    product = (a * b * c) ** 2
    gaussian = 1.0 / (product * s ** 2)
    mean = np.abs(x ** 2 + y ** 2 + z ** 2 - a ** 2 - b ** 2 - c ** 2) / (2.0 * product * s ** 1.5)
    return 1.0 / (mean + np.sqrt(np.maximum(mean ** 2 - gaussian, 0.0)))
