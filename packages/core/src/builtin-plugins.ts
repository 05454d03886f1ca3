// Core's own plugins: always known by name, with no registration (the registry falls back to them).
import { baseEstimatorPlugins } from './estimators';
import type { Plugin } from './plugin';
import { mlpPlugin, trainerPlugin } from './training/trainer';

/** The base estimators (`knn`, `logreg`, `ridge`, `svm`, `svc`) and core's `trainer` and `mlp`. */
export function corePlugins(): readonly Plugin[] {
  return [...baseEstimatorPlugins, trainerPlugin, mlpPlugin] as readonly Plugin[];
}
