import { tlkitVitestConfig } from '../../vitest.shared.ts';

// The Office-Caltech parity tests (TCA with an RBF kernel, JDA's 10 rounds, CORAL on 800
// features) take 5–8 s each alone; beside the other packages' suites on 2 cores they have taken
// over 60 s. The timeout only guards against a hang.
export default tlkitVitestConfig({ testTimeout: 240_000 });
