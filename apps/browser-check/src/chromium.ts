/**
 * Finding and launching the system's Chromium (Debian's `chromium` package) through
 * playwright-core. Playwright's own browser downloads are not used: they cannot be fetched here.
 */
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's package installs Chromium. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags the check runs Chromium with (headless, no sandbox for containers, no network chatter). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The outcome of {@link locateChromium}. */
export type ChromiumLocation =
  | { readonly found: true; readonly path: string }
  | { readonly found: false; readonly path: string; readonly reason: string };

/**
 * Finds the Chromium executable: `TLKIT_CHROMIUM` when set, else {@link DEFAULT_CHROMIUM_PATH}.
 *
 * @param environment - the environment to read (default `process.env`).
 * @returns the path and whether it is an executable file, with the reason when it is not.
 */
export function locateChromium(environment: NodeJS.ProcessEnv = process.env): ChromiumLocation {
  const fromEnvironment = environment.TLKIT_CHROMIUM?.trim();
  const path = fromEnvironment ? fromEnvironment : DEFAULT_CHROMIUM_PATH;
  try {
    accessSync(path, constants.X_OK);
    return { found: true, path };
  } catch {
    const origin = fromEnvironment ? 'TLKIT_CHROMIUM' : 'the default path';
    return { found: false, path, reason: `no executable Chromium at ${path} (${origin})` };
  }
}

/** A launched browser with its throw-away profile. */
export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** Closes the browser and deletes its profile folder. */
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with {@link CHROMIUM_FLAGS} and a fresh user-data folder (so no
 * IndexedDB or cache survives from an earlier run), through playwright-core.
 *
 * @param executablePath - the Chromium binary (see {@link locateChromium}).
 */
export async function launchChromium(executablePath: string): Promise<LaunchedChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'tlkit-browser-check-profile-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      timeout: 30_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
