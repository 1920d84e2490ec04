import { ConfigError } from './config.js';

/** Runs a process entry point; a bad config or a failed start exits non-zero with a readable message. */
export function boot(name: string, main: () => Promise<unknown>) {
  stopWithParent(name);
  main().catch((err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
    } else {
      process.stderr.write(`${name}: failed to start: ${String((err as { stack?: unknown } | null | undefined)?.stack ?? err)}\n`);
    }
    process.exit(1);
  });
}

/**
 * A process started by the development stack or a test platform (which set
 * STACK_PARENT_PID) shuts down gracefully when that parent is gone. Otherwise a
 * killed test run leaves services behind that reconnect forever to ports the OS
 * will hand to the next run's servers. Containers and real deployments don't set it.
 */
function stopWithParent(name: string) {
  const parent = Number(process.env.STACK_PARENT_PID);
  if (!parent) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.stderr.write(`${name}: the stack that started it (pid ${parent}) is gone; shutting down\n`);
    process.kill(process.pid, 'SIGTERM');
  }, 1000);
  timer.unref();
}
