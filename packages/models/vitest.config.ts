import { tlkitVitestConfig } from '../../vitest.shared.ts';

export default tlkitVitestConfig();
