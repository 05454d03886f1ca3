/**
 * "Did you mean …?" for names a user typed: plugin, dataset, domain and split names. Errors that
 * reject an unknown name use it to point at the near known ones.
 */

/** Levenshtein distance between two strings (insertions, deletions and substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known names closest to `name`, nearest first (ties in alphabetical order); empty when none
 * is close. Case is ignored. "Close" is at most 2 edits, or a third of `name`'s length for long
 * names.
 *
 * @param name - the name that was not found.
 * @param known - the names that exist.
 * @example
 * ```ts
 * suggestNames('knnn', ['knn', 'kmm', 'tca']); // ['knn']
 * suggestNames('kmn', ['knn', 'kmm', 'tca']); // ['kmm', 'knn']
 * ```
 */
export function suggestNames(name: string, known: readonly string[]): string[] {
  // Errors call this with whatever the user passed: a non-string has no near names.
  if (typeof name !== 'string') return [];
  const limit = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  return known
    .filter((candidate) => typeof candidate === 'string')
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter((entry) => entry.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .map((entry) => entry.candidate);
}

/**
 * A sentence for an error message: ` Did you mean 'a' or 'b'?` (with its leading space) for the
 * nearest known names, at most 3, or an empty string when none is close.
 *
 * @param name - the name that was not found.
 * @param known - the names that exist.
 * @example
 * ```ts
 * `no backbone named 'lennet'.${didYouMean('lennet', ['lenet', 'mlp', 'resnet18'])}`;
 * // "no backbone named 'lennet'. Did you mean 'lenet'?"
 * ```
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const suggestions = suggestNames(name, known).slice(0, 3);
  return suggestions.length ? ` Did you mean ${suggestions.map((entry) => `'${entry}'`).join(' or ')}?` : '';
}
