// Public exports of the float64 linear algebra (re-exported by the package index).
export { matmul, matmulTransposeA, matmulTransposeB, gram, matvec, matvecTranspose } from './products';
export { cholesky, choleskySolve } from './cholesky';
export type { CholeskyOptions } from './cholesky';
export { solveTriangular } from './triangular';
export type { TriangularSolveOptions } from './triangular';
export { luDecompose, luSolve, solve, inverse } from './lu';
export type { LuDecomposition } from './lu';
export { symmetricEigen } from './symmetricEigen';
export type { SymmetricEigenOptions, SymmetricEigenResult } from './symmetricEigen';
export { topEigen } from './topEigen';
export type { SymmetricOperator, TopEigenOptions, TopEigenResult } from './topEigen';
export { generalizedEigen } from './generalizedEigen';
export type { GeneralizedEigenOptions, GeneralizedEigenResult } from './generalizedEigen';
export { sqrtmSymmetric, inverseSqrtmSymmetric } from './matrixFunctions';
export type { MatrixSquareRootOptions } from './matrixFunctions';
export { thinSvd } from './svd';
export type { ThinSvdOptions, ThinSvdResult } from './svd';
