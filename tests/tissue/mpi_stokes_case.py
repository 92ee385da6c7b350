"""Run by test_mpi.py under mpiexec: planar, surface and volume Stokes solves, results to a .npz.

Usage: mpiexec -n N python mpi_stokes_case.py OUTPUT.npz
"""

import sys

import numpy as np
import ufl
from mpi4py import MPI

from morphosim.tissue import StokesBrinkman, ball_mesh, disk_mesh, ellipsoid_surface_mesh


def planar_case():
    mesh = disk_mesh(1.0, 0.1)
    solver = StokesBrinkman(mesh, mu=1.0, gamma=0.5, boundary="noslip")
    rng = np.random.default_rng(11)
    radius, angle = np.sqrt(rng.uniform(0, 0.9, 500)), rng.uniform(0, 2 * np.pi, 500)
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle), np.zeros(500)])
    forces = np.column_stack([rng.normal(size=(500, 2)), np.zeros(500)])
    operator = solver.point_operator(points)
    x = ufl.SpatialCoordinate(mesh)
    velocity, pressure = solver.solve(operator.spread(forces), body_force=ufl.as_vector([x[1] ** 2, -x[0]]))
    power = mesh.comm.allreduce(operator.spread(forces) @ velocity.x.array, op=MPI.SUM)
    return operator.interpolate(velocity), solver.strain_rate_at(points), operator.field_values(pressure), power


def surface_case():
    mesh = ellipsoid_surface_mesh((1.0, 1.0, 1.0), 0.3)
    solver = StokesBrinkman(mesh, mu=1.0, gamma=0.0)  # rotations constrained: multipliers in parallel
    rng = np.random.default_rng(12)
    points = rng.normal(size=(300, 3))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    forces = np.cross(points, rng.normal(size=(300, 3)))  # tangential
    operator = solver.point_operator(points)
    velocity, pressure = solver.solve(operator.spread(forces))
    return operator.interpolate(velocity), solver.strain_rate_at(points), operator.field_values(pressure)


def volume_case(solver_kind):
    mesh = ball_mesh(1.0, 0.35)   # meshed on rank 0 and distributed
    solver = StokesBrinkman(mesh, mu=lambda x: np.where((x**2).sum(axis=0) < 0.25, 5.0, 1.0), gamma=0.2,
                            solver=solver_kind, rtol=1e-12)
    rng = np.random.default_rng(13)
    points = rng.normal(size=(400, 3))
    points *= (0.9 * rng.uniform(0, 1, 400) ** (1 / 3) / np.linalg.norm(points, axis=1))[:, None]
    forces = rng.normal(size=(400, 3))
    operator = solver.point_operator(points)
    velocity, pressure = solver.solve(operator.spread(forces))
    return operator.interpolate(velocity), solver.strain_rate_at(points), operator.field_values(pressure)


if __name__ == "__main__":
    planar, surface = planar_case(), surface_case()
    volume, iterative = volume_case("direct"), volume_case("iterative")
    if MPI.COMM_WORLD.rank == 0:
        names = ["planar_velocity", "planar_strain", "planar_pressure", "planar_power"]
        names += ["surface_velocity", "surface_strain", "surface_pressure"]
        names += ["volume_velocity", "volume_strain", "volume_pressure"]
        names += ["iterative_velocity", "iterative_strain", "iterative_pressure"]
        np.savez(sys.argv[1], **dict(zip(names, planar + surface + volume + iterative)))
