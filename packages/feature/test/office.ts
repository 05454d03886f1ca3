/**
 * Test helpers: the shipped Office-Caltech10 SURF domains with their standard preprocessing (per
 * domain: rows divided by their sums, then columns z-scored), loaded once per worker.
 */
import type { Matrix } from '@tlkit/core';
import { preprocess } from '@tlkit/datasets';
import { loadShippedDataset } from '@tlkit/datasets/node';

export interface OfficeDomain {
  readonly X: Matrix;
  readonly y: Int32Array;
}

const cache = new Map<string, Promise<[OfficeDomain, OfficeDomain]>>();

/** The preprocessed source and target domains of an Office-Caltech10 pair, e.g. ('caltech', 'amazon'). */
export function officePair(source: string, target: string): Promise<[OfficeDomain, OfficeDomain]> {
  const key = `${source}->${target}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = (async () => {
      const office = await loadShippedDataset('office_caltech10_surf', { domains: [source, target] });
      const [s, t] = preprocess('office_caltech10_surf', [office.domains[source], office.domains[target]], 'standard');
      return [
        { X: s.X, y: Int32Array.from(s.y as ArrayLike<number>) },
        { X: t.X, y: Int32Array.from(t.y as ArrayLike<number>) },
      ];
    })();
    cache.set(key, pending);
  }
  return pending;
}

/** Number of positions where two label arrays agree. */
export function countEqual(left: ArrayLike<number>, right: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < left.length; i++) if (left[i] === right[i]) count++;
  return count;
}
