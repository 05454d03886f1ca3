import { activateBackend, type BackendCandidate, type BackendInfo, portableCandidates, type SetupBackendOptions } from '../backend/setup';

/** True when an import failed because the package (or its native binding) is not installed. @internal */
export function isMissingModule(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  const message = String((error as Error | null)?.message ?? '');
  return (
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_MODULE_NOT_FOUND' ||
    /Cannot find (module|package)/.test(message) ||
    /Could not resolve "/.test(message) ||
    // tfjs-node installed without its libtensorflow download: treat like "not installed".
    /tfjs_binding\.node can not be found/.test(message)
  );
}

function nativeCandidate(name: 'tfjs-node-gpu' | 'tfjs-node'): BackendCandidate {
  // A variable specifier keeps bundlers from resolving an optional peer that is not installed.
  const specifier = `@tensorflow/${name}`;
  return {
    name: 'tensorflow',
    label: specifier,
    native: true,
    async load() {
      try {
        await import(/* @vite-ignore */ specifier);
        return null;
      } catch (error) {
        return isMissingModule(error)
          ? 'not installed'
          : `failed to load (${(error as Error).message.split('\n')[0]})`;
      }
    },
  };
}

/**
 * Node's backend set-up: `@tensorflow/tfjs-node-gpu` if installed (and its CUDA libraries load),
 * else `@tensorflow/tfjs-node`, else wasm, else cpu. Neither native package is a dependency of
 * tlkit (they download libtensorflow at install time); install one yourself to use it.
 * `TLKIT_BACKEND` (`tensorflow`, `wasm`, `cpu`) forces a choice. The choice is reported on stderr.
 *
 * @example
 * ```ts
 * import { setupNodeBackend } from '@tlkit/core/node';
 * await setupNodeBackend(); // "tlkit: tfjs backend 'wasm' — fastest available (skipped ...)"
 * ```
 */
export async function setupNodeBackend(options: SetupBackendOptions = {}): Promise<BackendInfo> {
  return activateBackend([nativeCandidate('tfjs-node-gpu'), nativeCandidate('tfjs-node'), ...portableCandidates(options)], options);
}
