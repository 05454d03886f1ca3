/**
 * The `tlkit` executable: see cli-main.ts. With --json, anything a library prints through
 * console.log is sent to stderr, so stdout carries exactly one JSON object.
 */
import { runCli } from './cli-main';

const argv = process.argv.slice(2);
if (argv.includes('--json')) {
  console.log = (...items: unknown[]) => console.error(...items);
  console.info = console.log;
}
// The first Ctrl-C stops the run between steps (the finished runs are reported, exit 130);
// the handler is removed then, so a second Ctrl-C ends the process at once.
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
runCli(argv, undefined, controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tlkit: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
