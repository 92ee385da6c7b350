"""Direct solves with a factorization kept across right-hand sides (PETSc + MUMPS).

A fixed tissue mesh means a fixed operator: factorize once, then every step costs only the
forward/backward substitution. Two optional transformations of the assembled matrix A:

* a prolongation P (periodic sides: reduced dofs -> full dofs), solving Pᵀ A P y = Pᵀ b, x = P y;
* linear constraints cᵢ·x = 0 through Lagrange multipliers (pressure mean, rigid-body modes of
  a singular operator), i.e. the bordered system [[K, C], [Cᵀ, 0]]. The few dense columns of C
  are ordered last by the fill-reducing ordering and cost O(n) per solve.

A symmetric operator (Stokes–Brinkman, diffusion: symmetric up to round-off) is factorized as
L D Lᵀ (MUMPS, symmetric indefinite with 2×2 pivots) instead of L U: half the factor entries,
so each back-substitution, which streams the factors from memory, reads less, and the
factorization does less work (figures in bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np
from petsc4py import PETSc

_SOLVER_TYPE = "mumps"  # present in the dolfinx-solver wheel's PETSc; superlu_dist and petsc LU also are
# entries of A - Aᵀ below this fraction of A's largest row sum are round-off of a symmetric form
# (assembled Stokes matrices measure 1e-17 to 2e-16)
_SYMMETRY_TOLERANCE = 1e-13
# MUMPS sizes its workspace from the analysis; dense constraint columns and delayed 2x2 pivots of
# indefinite saddle systems outgrow that estimate (INFOG(1) = -9, -8). Retry with more room.
_WORKSPACE_ERRORS = (-8, -9, -17, -20)
_WORKSPACE_PERCENT = (35, 200, 800)  # ICNTL(14): extra workspace over the estimate, per attempt


def is_symmetric(A: PETSc.Mat, tolerance: float = _SYMMETRY_TOLERANCE) -> bool:
    """‖A − Aᵀ‖∞ <= tolerance ‖A‖∞ (collective)."""
    difference = A.duplicate(copy=True)
    difference.axpy(-1.0, A.transpose(PETSc.Mat()))
    return difference.norm(PETSc.NormType.INFINITY) <= tolerance * A.norm(PETSc.NormType.INFINITY)


def _constraint_matrix(constraints: list[PETSc.Vec], template: PETSc.Mat) -> PETSc.Mat:
    """n × m AIJ matrix with the constraint vectors as columns; the m columns live on rank 0."""
    comm = template.getComm()
    m = len(constraints)
    m_local = m if comm.rank == 0 else 0
    (n_local, n_global), _ = template.getSizes()
    values = np.column_stack([c.getArray(readonly=True) for c in constraints]) if n_local else np.zeros((0, m))
    columns = np.broadcast_to(np.arange(m, dtype=PETSc.IntType), values.shape)
    keep = values != 0.0
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(PETSc.IntType)
    C = PETSc.Mat().createAIJ(
        ((n_local, n_global), (m_local, m)), csr=(indptr, columns[keep], values[keep]), comm=comm
    )
    C.assemble()
    return C


class FactorizedOperator:
    """x = A⁻¹ b with A factorized once (MUMPS LU), optionally reduced and bordered (see module doc).

    A: assembled PETSc matrix. constraints: PETSc vectors (layout of A's rows), each a constraint
    c·x = 0. prolongation: PETSc matrix P (full × reduced) or None.
    """

    def __init__(self, A: PETSc.Mat, constraints: list[PETSc.Vec] = (), prolongation: PETSc.Mat | None = None):
        self.comm = A.getComm()
        self.prolongation = prolongation
        K = A if prolongation is None else A.PtAP(prolongation)
        self._reduced_rhs = K.createVecRight()
        if constraints:
            reduced = []
            for c in constraints:
                r = K.createVecRight()
                (prolongation.multTranspose(c, r) if prolongation is not None else c.copy(r))
                reduced.append(r)
            C = _constraint_matrix(reduced, K)
            nest = PETSc.Mat().createNest([[K, C], [C.transpose(PETSc.Mat()), None]], comm=self.comm)
            index_sets = nest.getNestISs()[0]
            self.matrix = nest.convert("aij")
            start, _ = self.matrix.getOwnershipRange()
            self._primal_positions = index_sets[0].getIndices() - start
        else:
            self.matrix = K
            self._primal_positions = None
        self.num_multipliers = len(constraints)
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOperators(self.matrix)
        self.ksp.setType("preonly")
        pc = self.ksp.getPC()
        #: "cholesky" (L D Lᵀ of a symmetric operator) or "lu"
        self.factorization = "cholesky" if is_symmetric(self.matrix) else "lu"
        if self.factorization == "cholesky":
            self.matrix.setOption(PETSc.Mat.Option.SYMMETRIC, True)   # MUMPS then reads one triangle
        pc.setType(self.factorization)
        pc.setFactorSolverType(_SOLVER_TYPE)
        self._factorize(pc)
        self._rhs, self._solution = self.matrix.createVecs()

    def _factorize(self, pc: PETSc.PC) -> None:
        """The factorization, retried with a larger MUMPS workspace when the estimate was short."""
        for percent in _WORKSPACE_PERCENT:
            pc.setFactorSetUpSolverType()
            factor = pc.getFactorMatrix()
            factor.setMumpsIcntl(14, percent)
            self.ksp.setUp()
            error = factor.getMumpsInfog(1)
            if error not in _WORKSPACE_ERRORS:
                return
            self.ksp.reset()
            self.ksp.setOperators(self.matrix)
            self.ksp.setType("preonly")
            pc = self.ksp.getPC()
            pc.setType(self.factorization)
            pc.setFactorSolverType(_SOLVER_TYPE)
        raise RuntimeError(f"direct factorization failed: MUMPS workspace too small (INFOG(1) = {error}) "
                           f"even with {_WORKSPACE_PERCENT[-1]} % extra")

    def solve(self, b: PETSc.Vec, x: PETSc.Vec) -> None:
        """Solve A x = b (b assembled, ghosts not needed); x gets the owned entries."""
        rhs = b
        if self.prolongation is not None:
            self.prolongation.multTranspose(b, self._reduced_rhs)
            rhs = self._reduced_rhs
        if self._primal_positions is not None:
            self._rhs.zeroEntries()
            self._rhs.getArray()[self._primal_positions] = rhs.getArray(readonly=True)
            rhs = self._rhs
        self.ksp.solve(rhs, self._solution)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise RuntimeError(f"direct solve failed (PETSc KSP reason {reason}); is the operator singular?")
        solution = self._solution
        if self._primal_positions is not None:
            solution = self._reduced_rhs
            solution.getArray()[:] = self._solution.getArray(readonly=True)[self._primal_positions]
        if self.prolongation is not None:
            self.prolongation.mult(solution, x)
        else:
            solution.copy(x)

    def multipliers(self) -> np.ndarray:
        """Lagrange multipliers of the last solve (on rank 0; empty elsewhere)."""
        if self._primal_positions is None:
            return np.zeros(0)
        mask = np.ones(self._solution.getLocalSize(), dtype=bool)
        mask[self._primal_positions] = False
        return self._solution.getArray(readonly=True)[mask].copy()


class BlockPreconditionedMinres:
    """x = A⁻¹ b for a saddle-point operator A = [[K, Bᵀ], [B, 0]] by MINRES, preconditioned by
    the block-diagonal diag(K̃⁻¹, M̃_p⁻¹): algebraic multigrid (PETSc GAMG) on the velocity block,
    Jacobi on the pressure mass matrix scaled by 1/μ (spectrally equivalent to the Schur complement
    B K⁻¹ Bᵀ of a Stokes operator, so the iteration count does not grow with the mesh).

    preconditioner: assembled matrix [[K, 0], [0, M_p/μ]] with A's layout.
    velocity, pressure: PETSc index sets of the two blocks (global rows).
    null_vectors: PETSc vectors spanning A's null space (the constant pressure), orthonormalised
    here; b must be orthogonal to them and the solution is returned orthogonal to them.
    """

    def __init__(self, A: PETSc.Mat, preconditioner: PETSc.Mat, velocity: PETSc.IS, pressure: PETSc.IS,
                 null_vectors: list[PETSc.Vec] = (), rtol: float = 1e-10, max_iterations: int = 2000):
        self.comm = A.getComm()
        self.matrix = A
        if null_vectors:
            basis = [v.copy() for v in null_vectors]
            for v in basis:
                v.normalize()
            self.null_space = PETSc.NullSpace().create(vectors=basis, comm=self.comm)
            A.setNullSpace(self.null_space)
        else:
            self.null_space = None
        self.ksp = PETSc.KSP().create(self.comm)
        self.ksp.setOperators(A, preconditioner)
        self.ksp.setType("minres")
        self.ksp.setTolerances(rtol=rtol, atol=0.0, max_it=max_iterations)
        pc = self.ksp.getPC()
        pc.setType("fieldsplit")
        pc.setFieldSplitIS(("velocity", velocity), ("pressure", pressure))
        pc.setFieldSplitType(PETSc.PC.CompositeType.ADDITIVE)
        velocity_ksp, pressure_ksp = pc.getFieldSplitSubKSP()
        velocity_ksp.setType("preonly")
        velocity_ksp.getPC().setType("gamg")
        pressure_ksp.setType("preonly")
        pressure_ksp.getPC().setType("jacobi")
        self.ksp.setUp()
        self.iterations = 0

    def solve(self, b: PETSc.Vec, x: PETSc.Vec) -> None:
        """Solve A x = b (b assembled); x gets the owned entries."""
        if self.null_space is not None:
            self.null_space.remove(b)
        x.zeroEntries()
        self.ksp.solve(b, x)
        reason = self.ksp.getConvergedReason()
        self.iterations = self.ksp.getIterationNumber()
        if reason < 0:
            raise RuntimeError(f"MINRES did not converge (PETSc KSP reason {reason}, {self.iterations} iterations)")
        if self.null_space is not None:
            self.null_space.remove(x)
