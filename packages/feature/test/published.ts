/**
 * Published accuracies (%) on Office-Caltech10 SURF, 1-NN after the mapping, all 12 pairs in the
 * order below: J. Wang, W. Feng, Y. Chen, H. Yu, M. Huang, P. S. Yu, "Visual Domain Adaptation with
 * Manifold Embedded Distribution Alignment", ACM MM 2018, Table 2 (as collected in
 * jindongwang/transferlearning, data/benchmark.md). The CORAL row there is Sun, Feng & Saenko,
 * AAAI 2016 (linear SVM, not 1-NN).
 */
export const OFFICE_PAIRS = ['C→A', 'C→W', 'C→D', 'A→C', 'A→W', 'A→D', 'W→C', 'W→A', 'W→D', 'D→C', 'D→A', 'D→W'] as const;

export const PUBLISHED = {
  oneNn: [23.7, 25.8, 25.5, 26.0, 29.8, 25.5, 19.9, 23.0, 59.2, 26.3, 28.5, 63.4],
  pca: [39.5, 34.6, 44.6, 39.0, 35.9, 33.8, 28.2, 29.1, 89.2, 29.7, 33.2, 86.1],
  tca: [45.6, 39.3, 45.9, 42.0, 40.0, 35.7, 31.5, 30.5, 91.1, 33.0, 32.8, 87.5],
  jda: [43.1, 39.3, 49.0, 40.9, 38.0, 42.0, 33.0, 29.8, 92.4, 31.2, 33.4, 89.2],
  coral: [52.1, 46.4, 45.9, 45.1, 44.4, 39.5, 33.7, 36.0, 86.6, 33.8, 37.7, 84.7],
} as const;

/** The published figure of a method on a pair, e.g. published('tca', 'W→D'). */
export function published(method: keyof typeof PUBLISHED, pair: (typeof OFFICE_PAIRS)[number]): number {
  return PUBLISHED[method][OFFICE_PAIRS.indexOf(pair)];
}
