"""Direct solves with a factorization kept across right-hand sides (PETSc + MUMPS).

A fixed tissue mesh means a fixed operator: factorize once, then every step costs only the
forward/backward substitution. Two optional transformations of the assembled matrix A:

* a prolongation P (periodic sides: reduced dofs -> full dofs), solving Pᵀ A P y = Pᵀ b, x = P y;
* linear constraints cᵢ·x = 0 through Lagrange multipliers λ (pressure mean, rigid-body modes of
  a singular operator): the solution of the bordered system

      [[K, C], [Cᵀ, 0]] [x; λ] = [b; 0].

  Factorizing that matrix as it stands is what the fill-reducing ordering handles worst: the
  dense columns of C couple every unknown, and the factor of a 10⁴-unknown 3D Stokes operator
  with six of them comes out nearly dense (figures in bench/RESULTS.md). When the constraints
  remove a known null space Z of a symmetric K (K Z = 0, m vectors, ZᵀC nonsingular: the rigid
  motions of a traction-free body, the pressure constant), the same x and λ come from a sparse
  factorization instead. Pin m unknowns J, chosen so that the m × m block Z_J is nonsingular:
  K̃ = K + Σ_{j∈J} α_j e_j e_jᵀ (α_j > 0) is nonsingular and has K's sparsity. Then

      λ = (ZᵀC)⁻¹ Zᵀ b               (Zᵀ of the first row: Zᵀ K = 0)
      y = K̃⁻¹ (b − C λ)              (a solution of K y = b − Cλ: that right-hand side is
                                      orthogonal to Z, so Zᵀ K̃ y = 0 forces y_J = 0)
      x = y − Z (CᵀZ)⁻¹ Cᵀ y          (the null-space part that makes Cᵀ x = 0)

  which is the bordered system's unique solution, up to round-off.

A symmetric operator (Stokes–Brinkman, diffusion: symmetric up to round-off) is factorized as
L D Lᵀ (MUMPS, symmetric indefinite with 2×2 pivots) instead of L U: half the factor entries,
so each back-substitution, which streams the factors from memory, reads less, and the
factorization does less work (figures in bench/RESULTS.md).
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI
from petsc4py import PETSc

_SOLVER_TYPE = "mumps"  # present in the dolfinx-solver wheel's PETSc; superlu_dist and petsc LU also are
# entries of A - Aᵀ below this fraction of A's largest row sum are round-off of a symmetric form
# (assembled Stokes matrices measure 1e-17 to 2e-16)
_SYMMETRY_TOLERANCE = 1e-13
# a candidate null vector z of K with ‖K z‖∞ above this fraction of ‖K‖∞ ‖z‖∞ is not one (assembled
# rigid modes of a Stokes operator measure ~1e-17)
_NULL_TOLERANCE = 1e-10
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


def _local_columns(vectors: list[PETSc.Vec]) -> np.ndarray:
    """(n_local, m): the owned entries of the vectors as columns."""
    return np.column_stack([v.getArray(readonly=True) for v in vectors])


def _pinned_rows(null_space: np.ndarray, first_row: int, comm) -> np.ndarray:
    """m global rows J of an (n_local, m) distributed null-space basis Z with Z_J well conditioned:
    QR with column pivoting of Zᵀ (columns normalised), first on each rank's rows, then over all
    ranks' candidates (deterministic for a given partition)."""
    from scipy.linalg import qr

    m = null_space.shape[1]
    norms = np.sqrt(comm.allreduce((null_space**2).sum(axis=0)))
    scaled = null_space / norms
    local = qr(scaled.T, pivoting=True, mode="r")[1][:m] if len(scaled) else np.zeros(0, np.int64)
    candidates = comm.allgather((scaled[local], local + first_row))
    rows = np.vstack([values for values, _ in candidates])
    indices = np.concatenate([index for _, index in candidates])
    chosen = qr(rows.T, pivoting=True, mode="r")[1][:m]
    if np.linalg.matrix_rank(rows[chosen]) < m:
        raise ValueError("null_vectors are linearly dependent: give a basis of the null space")
    return indices[chosen]


class FactorizedOperator:
    """x = A⁻¹ b with A factorized once (MUMPS), optionally reduced and constrained (see module doc).

    A: assembled PETSc matrix. constraints: PETSc vectors (layout of A's rows), each a constraint
    c·x = 0. prolongation: PETSc matrix P (full × reduced) or None. null_vectors: as many PETSc
    vectors as constraints (layout of A's rows) spanning the null space the constraints remove;
    when they are null vectors of a symmetric (reduced) A, the constraints are imposed by the
    pinned sparse factorization of the module doc, else by the bordered system.
    """

    def __init__(self, A: PETSc.Mat, constraints: list[PETSc.Vec] = (), prolongation: PETSc.Mat | None = None,
                 null_vectors: list[PETSc.Vec] = ()):
        self.comm = A.getComm()
        self._mpi = self.comm.tompi4py()
        self.prolongation = prolongation
        if null_vectors and len(null_vectors) != len(constraints):
            raise ValueError(f"null_vectors: give one per constraint ({len(constraints)}), got {len(null_vectors)}")
        K = A if prolongation is None else A.PtAP(prolongation)
        self._reduced_rhs = K.createVecRight()
        self._pinned = None
        self._primal_positions = None
        self.matrix = K
        #: how the constraints are imposed: None (there are none), "pinned" or "bordered" (module doc)
        self.constraint_method = None
        if constraints:
            reduced = [self._restricted(c, K) for c in constraints]
            null_space = self._null_space(K, [self._reduced(z, K) for z in null_vectors])
            if null_space is not None:
                self._pin(K, _local_columns(reduced), null_space)
            else:
                self._border(K, reduced)
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

    def _restricted(self, c: PETSc.Vec, K: PETSc.Mat) -> PETSc.Vec:
        """A constraint on the reduced unknowns: Pᵀ c (c·P y = Pᵀc·y)."""
        r = K.createVecRight()
        (self.prolongation.multTranspose(c, r) if self.prolongation is not None else c.copy(r))
        return r

    def _reduced(self, z: PETSc.Vec, K: PETSc.Mat) -> PETSc.Vec:
        """The reduced vector y with P y = z, for z in P's range: Pᵀ z over the column counts of P."""
        if self.prolongation is None:
            return z
        y, counts, ones = K.createVecRight(), K.createVecRight(), self.prolongation.createVecLeft()
        ones.set(1.0)
        self.prolongation.multTranspose(z, y)
        self.prolongation.multTranspose(ones, counts)
        y.pointwiseDivide(y, counts)
        return y

    def _null_space(self, K: PETSc.Mat, null_vectors: list[PETSc.Vec]) -> np.ndarray | None:
        """(n_local, m) columns of the null vectors when they are K's and K is symmetric, else None."""
        if not null_vectors or not is_symmetric(K):
            return None
        scale = K.norm(PETSc.NormType.INFINITY)
        product = K.createVecLeft()
        for z in null_vectors:
            K.mult(z, product)
            if product.norm(PETSc.NormType.INFINITY) > _NULL_TOLERANCE * scale * z.norm(PETSc.NormType.INFINITY):
                return None
        return _local_columns(null_vectors)

    def _pin(self, K: PETSc.Mat, constraints: np.ndarray, null_space: np.ndarray) -> None:
        """K̃ = K + Σ_J α_j e_j e_jᵀ (module doc), α_j = |K_jj|, or ‖diag K‖∞ where K_jj = 0 (a pressure
        row of a saddle operator), and the m × m matrices of the solve."""
        self.constraint_method = "pinned"
        start, end = K.getOwnershipRange()
        rows = _pinned_rows(null_space, start, self._mpi)
        diagonal = np.abs(K.getDiagonal().getArray(readonly=True))
        largest = self._mpi.allreduce(diagonal.max(initial=0.0), op=MPI.MAX)
        pinned = K.duplicate(copy=True)
        pinned.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, False)
        for row in rows[(rows >= start) & (rows < end)]:
            value = diagonal[row - start]
            pinned.setValue(row, row, value if value > 0.0 else largest, addv=PETSc.InsertMode.ADD_VALUES)
        pinned.assemble()
        self.matrix = pinned
        gram = self._mpi.allreduce(null_space.T @ constraints)   # Zᵀ C
        self._pinned = (null_space, constraints, np.linalg.inv(gram))
        self._multipliers = np.zeros(len(rows))

    def _border(self, K: PETSc.Mat, constraints: list[PETSc.Vec]) -> None:
        """The bordered matrix [[K, C], [Cᵀ, 0]] and where K's unknowns sit in it."""
        self.constraint_method = "bordered"
        C = _constraint_matrix(constraints, K)
        nest = PETSc.Mat().createNest([[K, C], [C.transpose(PETSc.Mat()), None]], comm=self.comm)
        index_sets = nest.getNestISs()[0]
        self.matrix = nest.convert("aij")
        start, _ = self.matrix.getOwnershipRange()
        self._primal_positions = index_sets[0].getIndices() - start

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
        elif self._pinned is not None:   # b − C λ with λ = (ZᵀC)⁻¹ Zᵀ b
            null_space, constraints, inverse_gram = self._pinned
            values = rhs.getArray(readonly=True)
            self._multipliers = inverse_gram @ self._mpi.allreduce(null_space.T @ values)
            self._rhs.getArray()[:] = values - constraints @ self._multipliers
            rhs = self._rhs
        self.ksp.solve(rhs, self._solution)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise RuntimeError(f"direct solve failed (PETSc KSP reason {reason}); is the operator singular?")
        solution = self._solution
        if self._primal_positions is not None:
            solution = self._reduced_rhs
            solution.getArray()[:] = self._solution.getArray(readonly=True)[self._primal_positions]
        elif self._pinned is not None:   # y − Z (CᵀZ)⁻¹ Cᵀ y
            y = self._solution.getArray()
            y -= null_space @ (inverse_gram.T @ self._mpi.allreduce(constraints.T @ y))
        if self.prolongation is not None:
            self.prolongation.mult(solution, x)
        else:
            solution.copy(x)

    def multipliers(self) -> np.ndarray:
        """Lagrange multipliers of the last solve (on rank 0; empty elsewhere)."""
        if self._pinned is not None:
            return self._multipliers.copy() if self.comm.rank == 0 else np.zeros(0)
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
