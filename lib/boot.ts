import { ConfigError } from './config.js';

/** Runs a process entry point; a bad config or a failed start exits non-zero with a readable message. */
export function boot(name: string, main: () => Promise<unknown>) {
  main().catch((err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
    } else {
      process.stderr.write(`${name}: failed to start: ${err?.stack ?? err}\n`);
    }
    process.exit(1);
  });
}
