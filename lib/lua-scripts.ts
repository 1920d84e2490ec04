import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

/** Reads a .lua file, inlining `--- @include "includes/x"` fragments (bullmq's convention). */
export function readLuaScript(dir: string, file: string, seen = new Set<string>()): string {
  const full = path.resolve(dir, file.endsWith('.lua') ? file : `${file}.lua`);
  if (seen.has(full)) return '';
  seen.add(full);
  return readFileSync(full, 'utf8').replace(INCLUDE, (_m, inc: string) => readLuaScript(path.dirname(full), inc, seen));
}

/**
 * Defines every `name-N.lua` in `dir` as an ioredis command named in camelCase
 * (`reserve-seat-3.lua` → `redis.reserveSeat(k1, k2, k3, ...argv)`), sent by
 * EVALSHA (each script is loaded at once). N, the number of KEYS, comes from the file name.
 */
export function defineLuaCommands(redis: Redis, dir: string, files: string[]) {
  for (const file of files) {
    const match = /^([a-z-]+)-(\d+)\.lua$/.exec(file);
    if (!match) throw new Error(`Lua script name must be <name>-<numberOfKeys>.lua: ${file}`);
    const command = match[1].replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (typeof (redis as unknown as Record<string, unknown>)[command] === 'function') continue;
    const lua = readLuaScript(dir, file);
    redis.defineCommand(command, { numberOfKeys: Number(match[2]), lua });
    // Loaded now, not by the first call's NOSCRIPT and EVAL (a cold burst sends each
    // script once per concurrent first call). Best effort: EVALSHA falls back anyway.
    redis.script('LOAD', lua).catch(() => undefined);
  }
}

/** The kernel's scripts (inventory, rate limits, locks) and their shared `includes/`: one folder, one owner. */
export const KERNEL_LUA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');
