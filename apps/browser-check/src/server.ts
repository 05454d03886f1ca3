/**
 * A tiny static HTTP server for the check: in-memory files (the page and its bundle) and folders
 * mounted under URL prefixes (tfjs's `.wasm` files, the datasets, a saved model), every response
 * cross-origin isolated so the page may use SharedArrayBuffer and wasm threads.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

/** A file served from memory at an exact path. */
export interface MemoryFile {
  readonly body: string | Uint8Array;
  readonly contentType: string;
}

/** What the server answered, one entry per request. */
export interface ServedRequest {
  readonly method: string;
  /** The URL path, e.g. `/wasm/tfjs-backend-wasm-threaded-simd.wasm`. */
  readonly path: string;
  readonly status: number;
}

/** A running check server. */
export interface CheckServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request so far, in arrival order. */
  readonly requests: ServedRequest[];
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Options of {@link startCheckServer}. */
export interface CheckServerOptions {
  /** Files served from memory, by exact URL path (`'/'`, `'/page.js'`). */
  readonly files: ReadonlyMap<string, MemoryFile>;
  /** Folders served under URL prefixes: `{ '/wasm/': '/abs/dir' }`. Requests cannot leave the folder. */
  readonly folders: Readonly<Record<string, string>>;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.csv': 'text/csv; charset=utf-8',
  // Served as bytes, not with Content-Encoding: the datasets loader gunzips it itself.
  '.gz': 'application/gzip',
};

/** The headers that make a page cross-origin isolated (`crossOriginIsolated === true`). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

async function readMounted(folders: CheckServerOptions['folders'], path: string): Promise<{ body: Uint8Array; contentType: string } | null> {
  for (const [prefix, folder] of Object.entries(folders)) {
    if (!path.startsWith(prefix)) continue;
    const root = resolve(folder);
    const file = resolve(join(root, path.slice(prefix.length)));
    if (!file.startsWith(root + sep)) return null;
    try {
      if (!(await stat(file)).isFile()) return null;
      return { body: await readFile(file), contentType: contentTypes[extname(file)] ?? 'application/octet-stream' };
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Starts the server on 127.0.0.1 at a free port chosen by the OS. Answers GET and HEAD only;
 * every response carries {@link ISOLATION_HEADERS} and `Cache-Control: no-store`.
 *
 * @param options - the in-memory files and the mounted folders.
 * @returns the server's origin, its request log and `close`.
 */
export async function startCheckServer(options: CheckServerOptions): Promise<CheckServer> {
  const requests: ServedRequest[] = [];
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const answer = (status: number, body: string | Uint8Array, contentType: string) => {
      requests.push({ method: request.method ?? '', path, status });
      response.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(405, 'method not allowed', 'text/plain');
      return;
    }
    const memory = options.files.get(path);
    if (memory) {
      answer(200, memory.body, memory.contentType);
      return;
    }
    readMounted(options.folders, path).then(
      (found) => (found ? answer(200, found.body, found.contentType) : answer(404, `not found: ${path}`, 'text/plain')),
      (error: unknown) => answer(500, String(error), 'text/plain'),
    );
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
