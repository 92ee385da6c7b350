"""The cell scale alone: a Voronoi vertex sheet relaxed to mechanical equilibrium.

Cells with a target area A0 and line tension Λ settle where the forces −∂E/∂r vanish.
"""

import numpy as np

from morphosim.cells import Sheet, VertexModel, cell_areas, relax

# non-dimensional: lengths in units of √A0, energies in K A0² (Farhadifar et al. 2007's scaling)
sheet = Sheet.voronoi(100, box=(10.0, 10.0), periodic=True, lloyd=5, seed=1)
model = VertexModel(K=1.0, A0=1.0, Gamma=0.05, Lambda=0.1)

before = np.abs(model.forces(sheet)).max()
result = relax(sheet, model, tolerance=1e-10)
after = np.abs(model.forces(sheet)).max()
areas = cell_areas(sheet)
print(f"largest vertex force {before:.3g} -> {after:.3g} (converged: {result['converged']})")
print(f"cell areas {areas.mean():.4f} ± {areas.std():.4f} (box area / cells = {10.0 ** 2 / 100:.4f})")
assert result["converged"] and after < 1e-8
