#!/usr/bin/env node
// Sums every package's vitest JSON report (written by the shared vitest config) into one line:
// "tests: N passed, N failed, N skipped". Exits 1 if any test failed or no test ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const group of ['packages', 'apps']) {
  const folder = join(root, group);
  if (!existsSync(folder)) continue;
  for (const name of readdirSync(folder).sort()) {
    const report = join(folder, name, 'test-results', 'vitest.json');
    if (!existsSync(report)) continue;
    const result = JSON.parse(readFileSync(report, 'utf8'));
    const packagePassed = result.numPassedTests ?? 0;
    const packageFailed = (result.numFailedTests ?? 0) + (result.numFailedTestSuites ?? 0);
    const packageSkipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
    passed += packagePassed;
    failed += packageFailed;
    skipped += packageSkipped;
    lines.push(`  ${group}/${name}: ${packagePassed} passed, ${packageFailed} failed, ${packageSkipped} skipped`);
  }
}
console.log(lines.join('\n'));
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
