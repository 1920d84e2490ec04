import client, { type Registry } from 'prom-client';
import type { Inventory } from './inventory.js';

/** Each inventory method that runs one Lua script, and the script's name (its file without `-N.lua`). */
const SCRIPT_OF = {
  reserve: 'reserve-seat',
  settle: 'settle-hold',
  beginCancel: 'begin-cancel',
  release: 'release-seat',
  abortCancel: 'abort-cancel',
} as const satisfies Partial<Record<keyof Inventory, string>>;

/**
 * The same inventory with every Lua script call timed into
 * `inventory_script_duration_seconds{script}` (round trip as the caller sees it,
 * so Redis latency and queueing on the connection are included).
 */
export function timeInventoryScripts(inventory: Inventory, registry: Registry): Inventory {
  const duration = new client.Histogram({
    name: 'inventory_script_duration_seconds',
    help: 'Inventory Lua script round trip by script',
    labelNames: ['script'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  // Every script has its series from the start, so a panel shows 0 rather than nothing.
  for (const script of Object.values(SCRIPT_OF)) duration.zero({ script });

  const timed =
    <A extends unknown[], R>(script: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const end = duration.startTimer({ script });
      try {
        return await call(...args);
      } finally {
        end();
      }
    };

  return {
    ...inventory,
    reserve: timed(SCRIPT_OF.reserve, (...args: Parameters<Inventory['reserve']>) => inventory.reserve(...args)),
    settle: timed(SCRIPT_OF.settle, (...args: Parameters<Inventory['settle']>) => inventory.settle(...args)),
    beginCancel: timed(SCRIPT_OF.beginCancel, (...args: Parameters<Inventory['beginCancel']>) => inventory.beginCancel(...args)),
    release: timed(SCRIPT_OF.release, (...args: Parameters<Inventory['release']>) => inventory.release(...args)),
    abortCancel: timed(SCRIPT_OF.abortCancel, (...args: Parameters<Inventory['abortCancel']>) => inventory.abortCancel(...args)),
  };
}
