import { tlkitVitestConfig } from '../../vitest.shared';

export default tlkitVitestConfig();
