// The compile cache of `wasmo run`: artifacts of the native engines kept on disk, keyed by the
// module's bytes, the compiler (singlepass, optimizing or tiered), fuel metering, bounds checks, the
// CPU features the compile may use (CompileOptions.cpuFeatures, else $WASMO_CPU_FEATURES) and the
// native engine's build, so a second run loads the code instead of decoding, validating and
// compiling again. A tiered entry is rewritten as runs tier more functions up (see wasmo run).
// Entries are written aside and renamed into place (a reader never reads half a file, and concurrent
// runs race harmlessly); the least recently used go when the cache grows past its bound. Anything
// wrong with an entry makes it a miss, never a failure.

import { createHash } from 'node:crypto';
import {
  mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { module_deserialize_file, module_serialize_file, type Module } from './api.js';
import type { NativeEngineName } from './engine.js';
import type { CompileOptions } from './native.js';
import { isError } from './errors.js';
import { cpuFeatureList, engineBuild } from './native.js';

/** $XDG_CACHE_HOME/wasmo, else ~/.cache/wasmo. */
export function defaultCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'wasmo');
}

/** The bound on the cache's size, past which the least recently used entries are removed. */
export const CACHE_MAX_BYTES = 1024 * 1024 * 1024;

// Entries live in a folder of their own format version, so a change of layout starts afresh.
const LAYOUT = 'artifacts-v1';

export class CompileCache {
  private readonly dir: string;

  /**
   * `tier`: the compiler whose artifacts get and put read and write; `fuel`: code that meters fuel
   * (for stores made with fuel), kept apart from code that does not; `boundsChecks` the same for
   * code that checks memory bounds explicitly (for stores with small memory reservations).
   */
  constructor(root: string = defaultCacheDir(), private readonly maxBytes = CACHE_MAX_BYTES,
    private readonly tier: NativeEngineName = 'singlepass', private readonly fuel = false,
    private readonly boundsChecks = false) {
    this.dir = join(root, LAYOUT);
  }

  /** The entry for `bytes` under this compiler, kind of code, CPU features (as `compile` asks for
   *  them) and engine build. */
  private entry(bytes: Uint8Array, compile: CompileOptions): string {
    const hash = createHash('sha256').update(bytes).digest('hex');
    const tier = this.tier === 'singlepass' ? '' : `-${this.tier}`;
    // Code for fewer CPU features than the host has is kept apart from the host's.
    const features = cpuFeatureList(compile);
    const cpu = features === null ? '' : `-cpu=${features.replace(/[^a-z0-9.]/gi, '_')}`;
    return join(this.dir, `${hash}-${engineBuild()}${tier}${this.fuel ? '-fuel' : ''}${this.boundsChecks ? '-bounds' : ''}${cpu}.cwasm`);
  }

  /** The module compiled earlier from `bytes` with `compile`'s CPU features, read from its file;
   *  undefined on a miss. */
  get(bytes: Uint8Array, compile: CompileOptions = {}): Module | undefined {
    const path = this.entry(bytes, compile);
    let module;
    try {
      statSync(path);
      module = module_deserialize_file(path);
    } catch {
      return undefined;
    }
    if (isError(module) || module.compiledFor !== this.tier) {
      // Corrupted or made for another CPU: compile again and replace it.
      rmSync(path, { force: true });
      return undefined;
    }
    const now = new Date();
    try { utimesSync(path, now, now); } catch { /* gone meanwhile: still a hit */ }
    return module;
  }

  /**
   * Compiles `module` (decoded from `bytes`) if it is not yet, and keeps its artifact. Returns
   * false when it could not be written (the run goes on without the cache).
   */
  put(bytes: Uint8Array, module: Module, compile: CompileOptions = {}): boolean {
    const path = this.entry(bytes, compile);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      // An error (what the engine cannot compile yet) comes again, and is reported, when it runs.
      const error = module_serialize_file(module, temporary, { ...compile, engine: this.tier, fuel: this.fuel, boundsChecks: this.boundsChecks });
      if (error !== undefined) return false;
      renameSync(temporary, path);
    } catch {
      rmSync(temporary, { force: true });
      return false;
    }
    this.evict();
    return true;
  }

  /** Removes every entry; returns how many bytes they took. */
  clean(): number {
    const bytes = this.entries().reduce((n, e) => n + e.size, 0);
    rmSync(this.dir, { recursive: true, force: true });
    return bytes;
  }

  /** Entries with their size and last use, oldest first. */
  entries(): { readonly path: string; readonly size: number; readonly used: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const found = [];
    for (const name of names) {
      try {
        const s = statSync(join(this.dir, name));
        found.push({ path: join(this.dir, name), size: s.size, used: s.mtimeMs });
      } catch { /* removed by another run meanwhile */ }
    }
    return found.sort((a, b) => a.used - b.used);
  }

  private evict(): void {
    const all = this.entries();
    let total = all.reduce((n, e) => n + e.size, 0);
    for (const e of all) {
      if (total <= this.maxBytes) break;
      rmSync(e.path, { force: true });
      total -= e.size;
    }
  }
}
