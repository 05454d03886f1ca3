// Public exports of the float64 linear algebra (re-exported by the package index).
export { matmul, matmulTransposeA, matmulTransposeB, gram, matvec, matvecTranspose } from './products';
export { cholesky, choleskySolve } from './cholesky';
export type { CholeskyOptions } from './cholesky';
export { solveTriangular } from './triangular';
export type { TriangularSolveOptions } from './triangular';
export { luDecompose, luSolve, solve, inverse } from './lu';
export type { LuDecomposition } from './lu';
