/**
 * Test helper (not shipped): loads an Office-Caltech10 SURF domain from the copy in
 * `packages/datasets/data/office_caltech10_surf/<domain>/` (X.csv.gz, y.csv; format in
 * /work/shared/data/README.md) and applies the standard preprocessing of the parity fixture
 * /work/shared/fixtures/office_C_to_A.json: per domain, each row divided by its sum, then each
 * column z-scored with the population standard deviation (ddof 0; a zero std becomes 1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Matrix } from '../../matrix';

/** The folder the datasets package ships the Office-Caltech10 SURF data in. */
export const OFFICE_FOLDER = fileURLToPath(new URL('../../../../datasets/data/office_caltech10_surf/', import.meta.url));

/** True when both domains of the C → A pair are present. */
export function officeAvailable(): boolean {
  return ['caltech', 'amazon'].every((domain) => existsSync(`${OFFICE_FOLDER}${domain}/X.csv.gz`) && existsSync(`${OFFICE_FOLDER}${domain}/y.csv`));
}

/** One preprocessed domain: features and labels. */
export function loadOfficeDomain(domain: string): { X: Matrix; y: Int32Array } {
  const folder = `${OFFICE_FOLDER}${domain}/`;
  const lines = gunzipSync(readFileSync(`${folder}X.csv.gz`)).toString('utf8').split('\n').filter((line) => line !== '');
  const rows = lines.length;
  const cols = lines[0].split(',').length;
  const X = new Matrix(rows, cols);
  const data = X.data;
  lines.forEach((line, i) => {
    const values = line.split(',').map(Number);
    let sum = 0;
    for (const value of values) sum += value;
    for (let j = 0; j < cols; j++) data[i * cols + j] = values[j] / sum;
  });
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += data[i * cols + j];
    mean /= rows;
    let variance = 0;
    for (let i = 0; i < rows; i++) variance += (data[i * cols + j] - mean) ** 2;
    const deviation = Math.sqrt(variance / rows) || 1;
    for (let i = 0; i < rows; i++) data[i * cols + j] = (data[i * cols + j] - mean) / deviation;
  }
  const y = Int32Array.from(readFileSync(`${folder}y.csv`, 'utf8').split('\n').filter((line) => line !== ''), Number);
  return { X, y };
}
