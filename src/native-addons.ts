/**
 * The optional native addons that `npm run build` compiles from native/*.c into dist/native/
 * (scripts/build-native.mjs). Each is loaded once per thread; where one was not built (no C compiler
 * at build time, or not Linux) the caller gets null with the reason and does without it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type AddonName = 'udp-batch' | 'process';

export interface LoadedAddon<T> {
  binding: T | null;
  /** Why `binding` is null; null when it loaded. */
  reason: string | null;
}

const loaded = new Map<AddonName, LoadedAddon<unknown>>();

/** The compiled file of addon `name` (this file is dist/src/native-addons.js once built). */
export function addonPath(name: AddonName): string {
  return fileURLToPath(new URL(`../native/${name}.node`, import.meta.url));
}

export function loadAddon<T>(name: AddonName): LoadedAddon<T> {
  let addon = loaded.get(name) as LoadedAddon<T> | undefined;
  if (addon !== undefined) return addon;
  const path = addonPath(name);
  if (process.platform !== 'linux') {
    addon = { binding: null, reason: `${path} is for Linux, this is ${process.platform}` };
  } else {
    try {
      addon = { binding: createRequire(import.meta.url)(path) as T, reason: null };
    } catch (err) {
      addon = { binding: null, reason: `${path} not loaded (${(err as Error).message.split('\n')[0]}); npm run build compiles it with a C compiler` };
    }
  }
  loaded.set(name, addon);
  return addon;
}

/** native/process.c */
export interface ProcessAddon {
  idleThread(): number;
  shortSlice(nanoseconds: number): number;
  fixMmapThreshold(bytes: number): boolean;
  releaseFreeMemory(): boolean;
  /** glibc's malloc over every arena; null where it cannot tell. */
  mallocStats(): { heapBytes: number; usedBytes: number; freeBytes: number; mappedBytes: number } | null;
}
