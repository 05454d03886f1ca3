/**
 * A fitted mapping that embeds samples with an {@link EmbeddingMap} (TCA, JDA), with save and
 * restore through the step state of `@tlkit/core`.
 */
import {
  type FittedMapping,
  type JsonValue,
  type KernelSpec,
  type Matrix,
  readJson,
  readMatrix,
  type StepState,
  storeMatrix,
  TlkitError,
} from '@tlkit/core';
import { embed, type EmbeddingMap } from './kernel-problem';

/** Throws `DIMENSION_MISMATCH` unless X has `expected` columns. */
export function requireColumns(X: Matrix, expected: number, strategy: string): void {
  if (X.cols !== expected) {
    throw new TlkitError(
      'DIMENSION_MISMATCH',
      `${strategy}.transform: X has ${X.cols} features but the mapping was fitted on ${expected}; pass samples with the training features.`,
      { argument: 'X' },
    );
  }
}

/** The fitted mapping for an embedding map. */
export function fittedEmbedding(
  strategy: string,
  map: EmbeddingMap,
  inputDim: number,
  info: Readonly<Record<string, JsonValue>> | undefined,
  fitted?: { readonly source: Matrix; readonly target: Matrix },
): FittedMapping {
  return {
    outputDim: map.coefficients.cols,
    transform(X: Matrix): Matrix {
      requireColumns(X, inputDim, strategy);
      return embed(map, X);
    },
    ...(fitted ? { fitted } : {}),
    ...(info ? { info } : {}),
    saveState(): StepState {
      return {
        json: {
          strategy,
          inputDim,
          kernel: map.kernel as unknown as JsonValue,
          normalizeSamples: map.normalizeSamples,
          normalizeEmbedding: map.normalizeEmbedding,
          hasBasis: map.basis !== null,
        },
        arrays: {
          coefficients: storeMatrix(map.coefficients),
          ...(map.basis ? { basis: storeMatrix(map.basis) } : {}),
        },
      };
    },
  };
}

/** Rebuilds {@link fittedEmbedding} from its saved state. */
export function restoreEmbedding(strategy: string, state: StepState): FittedMapping {
  const json = readJson<{
    strategy: string;
    inputDim: number;
    kernel: JsonValue;
    normalizeSamples: boolean;
    normalizeEmbedding: boolean;
    hasBasis: boolean;
  }>(state);
  if (json.strategy !== strategy || typeof json.inputDim !== 'number') {
    throw new TlkitError('INVALID_ARTIFACT', `saved state is not a fitted ${strategy} mapping.`);
  }
  const map: EmbeddingMap = {
    kernel: json.kernel as unknown as KernelSpec,
    basis: json.hasBasis ? readMatrix(state, 'basis') : null,
    coefficients: readMatrix(state, 'coefficients'),
    normalizeSamples: json.normalizeSamples === true,
    normalizeEmbedding: json.normalizeEmbedding === true,
  };
  return fittedEmbedding(strategy, map, json.inputDim, undefined);
}
