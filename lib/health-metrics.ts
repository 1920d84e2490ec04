import client, { type Registry } from 'prom-client';

/**
 * `health_dependency_up{dependency}`: 1 when the process's own check of a
 * dependency (mongo, redis, worker) passes, run when Prometheus scrapes, so
 * an alert sees a store go down from every process that needs it.
 */
export function registerHealthMetrics(registry: Registry, checks: Record<string, () => Promise<unknown>>, timeoutMs = 2000) {
  new client.Gauge({
    name: 'health_dependency_up',
    help: 'Whether this process reaches a dependency (its /health check), read at scrape time',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      await Promise.all(
        Object.entries(checks).map(async ([dependency, check]) => {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)));
          const up = await Promise.race([check(), timeout]).then(
            () => 1,
            () => 0,
          );
          clearTimeout(timer);
          this.set({ dependency }, up);
        }),
      );
    },
  });
}
