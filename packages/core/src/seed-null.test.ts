import { describe, expect, it } from 'vitest';
import { linearTimeMmd2 } from './discrepancy/linear-time-mmd';
import { TlkitError } from './errors';
import { proxyADistance } from './estimators/proxy-a-distance';
import { fitSvc } from './estimators/svc';
import { fitLinearSvm } from './estimators/svm';
import { topEigen } from './linalg/topEigen';
import { Matrix } from './matrix';

describe('seed: null is refused, not read as 0 (fix review s18 finding 6)', () => {
  const X = Matrix.fromRows(Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i)]));
  const y = Array.from({ length: 12 }, (_, i) => i % 2);
  const seed = null as never;
  it.each([
    ['linearTimeMmd2', () => linearTimeMmd2(X, X, { seed })],
    ['proxyADistance', () => proxyADistance(X, X, { seed })],
    ['fitSvc', () => fitSvc(X, y, { seed })],
    ['fitLinearSvm', () => fitLinearSvm(X, y, { seed })],
    ['topEigen', () => topEigen(Matrix.identity(3), 1, { seed })],
  ])('%s', (_name, run) => {
    expect(run).toThrow(TlkitError);
    expect(run).toThrow(/seed/);
  });
});
