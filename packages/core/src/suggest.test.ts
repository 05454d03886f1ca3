import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggestNames } from './suggest';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions (hand-worked cases)', () => {
    expect(editDistance('knnn', 'knn')).toBe(1); // one deletion
    expect(editDistance('kmn', 'knn')).toBe(1); // one substitution
    expect(editDistance('', 'abc')).toBe(3); // three insertions
    expect(editDistance('kitten', 'sitting')).toBe(3); // k→s, e→i, +g
    expect(editDistance('flaw', 'lawn')).toBe(2); // -f, +n
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('is symmetric', () => {
    for (const [a, b] of [['amazn', 'amazon'], ['tset', 'test'], ['lennet', 'resnet18']]) {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
    }
  });
});

describe('suggestNames', () => {
  it('suggests the near names, nearest first, ties alphabetically', () => {
    expect(suggestNames('knnn', ['tca', 'knn', 'kmm', 'logreg'])).toEqual(['knn']);
    expect(suggestNames('kmn', ['tca', 'knn', 'kmm'])).toEqual(['kmm', 'knn']);
    expect(suggestNames('zzzzzz', ['tca', 'knn'])).toEqual([]);
  });

  it('ignores case and allows a third of a long name in edits', () => {
    expect(suggestNames('Amazon', ['amazon', 'webcam'])).toEqual(['amazon']);
    // 'office_caltech10' is 5 insertions from 'office_caltech10_surf' (limit floor(16 / 3) = 5).
    expect(suggestNames('office_caltech10', ['office_caltech10_surf', 'mnist_usps'])).toEqual(['office_caltech10_surf']);
    // 'usp' is 1 edit from 'usps' and 4 from 'mnist' (limit 2).
    expect(suggestNames('usp', ['mnist', 'usps'])).toEqual(['usps']);
  });
});

describe('didYouMean', () => {
  it('writes a sentence with at most three names, or nothing', () => {
    expect(didYouMean('tset', ['train', 'test'])).toBe(" Did you mean 'test'?");
    expect(didYouMean('ab', ['aa', 'ac', 'ad', 'ae'])).toBe(" Did you mean 'aa' or 'ac' or 'ad'?");
    expect(didYouMean('zzzzzz', ['train', 'test'])).toBe('');
  });

  it('gives nothing for a name that is not a string (errors pass on what the user passed; diff review s18 finding 3)', () => {
    for (const name of [undefined, null, 42, { use: 'knn' }]) expect(didYouMean(name as never, ['knn', 'tca'])).toBe('');
  });
});
