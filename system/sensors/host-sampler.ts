/**
 * Host side of the operating-state sampler: one `HostSample` per call, from `systeminformation`.
 *
 * Guarantees
 * - `sample()` never throws: a sensor that fails, is missing or returns nonsense becomes `null`
 *   ("unavailable", never 0 — on a VM `cpuTemperature().main` is null).
 * - `sample()` is bounded: the four sensor groups (load, memory, temperature, disk) run in
 *   parallel, each under its own time limit (`timeoutMs`, default 1.5 s); a group that misses it
 *   is `null` in this sample. Its call keeps running in the background and is reused by the next
 *   sample (never a second concurrent call into the same sensor, so a hung `df` cannot pile up).
 *
 * Cost (2-core EPYC VM, Bun 1.4.5, systeminformation 5.33.23; re-measure with
 * `bun test/system/sensors/sampler-cost.ts`):
 * - First sample ~550-600 ms wall: `currentLoad()` primes its counters and waits 500 ms on its
 *   first call (module-global state in systeminformation). Later samples measure the load since
 *   the previous call, i.e. over the sampling interval.
 * - systeminformation runs shell commands with `execSync` on Linux, which BLOCKS the event loop and
 *   which no time limit can interrupt: `currentLoad()` (`cat /proc/stat | grep cpu`, for steal /
 *   guest) ~5-10 ms, `cpuTemperature()` ~17 ms (plus two async shells), `fsSize()` ~13 ms.
 *   `mem()` reads /proc/meminfo asynchronously (< 1 ms).
 * - So temperature and disk are cached: temperature for `temperatureMaxAgeMs` (10 s; temperatures
 *   move over tens of seconds) and re-probed only every `temperatureAbsentMaxAgeMs` (5 min) once a
 *   probe found no sensor at all (VMs: sensors do not appear at run time); disk for `diskMaxAgeMs`
 *   (30 s). A cached value is reported as is (the sample's `ts` is the sample's time, not the
 *   reading's). Failures are cached for the same age, so a broken sensor is not re-run every tick.
 * - Steady sample with the caches: ~8 ms wall, ~9 ms CPU (~4 ms this process + ~5 ms in the
 *   child shells), one event-loop stall of ~9 ms; on a 2 s schedule ~0.45 % of one core. Without
 *   the caches: ~31 ms wall, ~32 ms CPU, ~33 ms stall per sample.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve as resolvePath } from 'node:path';
import si from 'systeminformation';
import type { HostSample } from './host-sample.ts';

export type { HostSample } from './host-sample.ts';

/**
 * The part of `systeminformation` the sampler uses (only the fields read here). Production code
 * passes nothing and gets the real package; tests inject a failing fake.
 */
export interface HostSensorSource {
  currentLoad(): Promise<{ currentLoad?: number | null; cpus?: readonly { load?: number | null }[] | null }>;
  mem(): Promise<{ total?: number | null; available?: number | null }>;
  cpuTemperature(): Promise<{ main?: number | null; max?: number | null; chipset?: number | null }>;
  fsSize(): Promise<readonly { mount?: string | null; size?: number | null; used?: number | null; use?: number | null }[]>;
}

export interface HostSamplerOptions {
  /** The appliance's data directory; disk use is reported for the file system holding it. */
  readonly dataDir: string;
  /** Time limit per sensor group, ms (default 1500). */
  readonly timeoutMs?: number;
  /** How long a temperature reading is reused, ms (default 10 000). */
  readonly temperatureMaxAgeMs?: number;
  /** How long "no temperature sensor at all" is reused, ms (default 300 000). */
  readonly temperatureAbsentMaxAgeMs?: number;
  /** How long a disk reading is reused, ms (default 30 000). */
  readonly diskMaxAgeMs?: number;
  /** How long a load reading may be reused when `currentLoad()` is called again within 200 ms. */
  readonly loadReuseMaxAgeMs?: number;
}

export interface HostSampler {
  sample(): Promise<HostSample>;
}

type Temperatures = HostSample['temperatures'];
type Memory = NonNullable<HostSample['memory']>;
type Disk = NonNullable<HostSample['disk']>;
interface Load {
  readonly cpuPercent: number;
  readonly cpuPerCore: readonly number[];
}

const NO_TEMPERATURES: Temperatures = Object.freeze({ cpu: null, cpuMax: null, chipset: null });

export function createHostSampler(options: HostSamplerOptions, source: HostSensorSource = si as HostSensorSource): HostSampler {
  const timeoutMs = options.timeoutMs ?? 1500;
  const temperatureMaxAgeMs = options.temperatureMaxAgeMs ?? 10_000;
  const temperatureAbsentMaxAgeMs = options.temperatureAbsentMaxAgeMs ?? 300_000;
  const diskMaxAgeMs = options.diskMaxAgeMs ?? 30_000;
  const loadReuseMaxAgeMs = options.loadReuseMaxAgeMs ?? 5_000;
  const dataDir = options.dataDir;

  let lastLoad: { value: Load; at: number } | null = null;
  const load = probe(timeoutMs, () => 0, async (): Promise<Load | null> => {
    const raw = await source.currentLoad();
    const fresh = toLoad(raw);
    if (fresh) {
      lastLoad = { value: fresh, at: Date.now() };
      return fresh;
    }
    // systeminformation answers `{}` when called again within 200 ms of its previous call
    // (its counters are process-global): report the previous reading while it is recent.
    if (raw && typeof raw === 'object' && !('currentLoad' in raw) && lastLoad && Date.now() - lastLoad.at <= loadReuseMaxAgeMs) {
      return lastLoad.value;
    }
    return null;
  });
  const memory = probe(timeoutMs, () => 0, async () => toMemory(await source.mem()));
  const temperatures = probe(
    timeoutMs,
    (t) => (t !== null && (t.cpu === null && t.cpuMax === null && t.chipset === null) ? temperatureAbsentMaxAgeMs : temperatureMaxAgeMs),
    async () => toTemperatures(await source.cpuTemperature()),
  );
  const disk = probe(timeoutMs, () => diskMaxAgeMs, async () => toDisk(dataDir, await source.fsSize()));

  return {
    async sample(): Promise<HostSample> {
      const ts = Date.now();
      try {
        const [l, m, t, d] = await Promise.all([load(), memory(), temperatures(), disk()]);
        return {
          ts,
          cpuPercent: l?.cpuPercent ?? null,
          cpuPerCore: l?.cpuPerCore ?? [],
          memory: m,
          temperatures: t ?? NO_TEMPERATURES,
          disk: d,
        };
      } catch {
        // Unreachable by construction (each probe swallows its errors); kept as the last guard.
        return { ts, cpuPercent: null, cpuPerCore: [], memory: null, temperatures: NO_TEMPERATURES, disk: null };
      }
    },
  };
}

/**
 * One sensor group: at most one call in flight, a time limit per caller, and a result cache whose
 * age limit may depend on the value. Never rejects: failures and time-outs give `null`.
 */
function probe<T>(timeoutMs: number, maxAgeMs: (value: T | null) => number, read: () => Promise<T | null>): () => Promise<T | null> {
  let value: T | null = null;
  let readAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<T | null> | null = null;
  return () => {
    if (Date.now() - readAt < maxAgeMs(value)) return Promise.resolve(value);
    if (!inflight) {
      const call = (async () => {
        let v: T | null = null;
        try {
          v = await read();
        } catch {
          v = null;
        }
        value = v;
        readAt = Date.now();
        inflight = null;
        return v;
      })();
      inflight = call;
    }
    return withTimeout(inflight, timeoutMs);
  };
}

function withTimeout<T>(p: Promise<T | null>, ms: number): Promise<T | null> {
  return new Promise<T | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
    );
  });
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function percent(x: unknown): number | null {
  return finite(x) ? Math.min(100, Math.max(0, x)) : null;
}

function toLoad(raw: Awaited<ReturnType<HostSensorSource['currentLoad']>> | null | undefined): Load | null {
  if (!raw) return null;
  const cpuPercent = percent(raw.currentLoad);
  if (cpuPercent === null) return null;
  const cores = Array.isArray(raw.cpus) ? raw.cpus : [];
  const cpuPerCore: number[] = [];
  for (const core of cores) {
    const p = percent(core?.load);
    if (p === null) return { cpuPercent, cpuPerCore: [] }; // all cores or none: indices must mean core numbers
    cpuPerCore.push(p);
  }
  return { cpuPercent, cpuPerCore };
}

function toMemory(raw: Awaited<ReturnType<HostSensorSource['mem']>> | null | undefined): Memory | null {
  if (!raw) return null;
  const total = raw.total;
  const available = raw.available;
  if (!finite(total) || total <= 0 || !finite(available) || available < 0) return null;
  const availableBytes = Math.min(available, total);
  // "used" = what is not available (page cache the kernel can reclaim counts as available).
  return { totalBytes: total, usedBytes: total - availableBytes, availableBytes };
}

/** A plausible temperature in °C, or null (0, negative, NaN, absurd: the sensor is missing). */
export function plausibleTemperature(x: unknown): number | null {
  return finite(x) && x > 0 && x < 150 ? x : null;
}

function toTemperatures(raw: Awaited<ReturnType<HostSensorSource['cpuTemperature']>> | null | undefined): Temperatures | null {
  if (!raw) return null;
  return {
    cpu: plausibleTemperature(raw.main),
    cpuMax: plausibleTemperature(raw.max),
    chipset: plausibleTemperature(raw.chipset),
  };
}

/**
 * The mount point holding `path`: longest mount that equals `path` or is a whole-component
 * prefix of it (`/data` does not hold `/data2/x`). `path` must be absolute and resolved.
 */
export function findMount<M extends { mount?: string | null }>(path: string, mounts: readonly M[]): M | null {
  let best: M | null = null;
  let bestLen = -1;
  for (const m of mounts) {
    const mount = m?.mount;
    if (typeof mount !== 'string' || !mount.startsWith('/')) continue;
    const trimmed = mount.length > 1 ? mount.replace(/\/+$/, '') : mount;
    const holds = trimmed === '/' || path === trimmed || path.startsWith(trimmed + '/');
    if (holds && trimmed.length > bestLen) {
      best = m;
      bestLen = trimmed.length;
    }
  }
  return best;
}

/**
 * `dir` made absolute with symlinks resolved. A directory that does not exist yet resolves through
 * its nearest existing ancestor (`existing`, which is what can be stat'ed).
 */
export function resolveDataDir(dir: string): { path: string; existing: string } {
  const wanted = resolvePath(dir);
  let p = wanted;
  for (;;) {
    try {
      const existing = realpathSync(p);
      return { path: p === wanted ? existing : resolvePath(existing, relative(p, wanted)), existing };
    } catch {
      const parent = dirname(p);
      if (parent === p) return { path: wanted, existing: p };
      p = parent;
    }
  }
}

function toDisk(dataDir: string, list: Awaited<ReturnType<HostSensorSource['fsSize']>> | null | undefined): Disk | null {
  if (!Array.isArray(list)) return null;
  const { path, existing } = resolveDataDir(dataDir);
  const m = findMount(path, list);
  if (!m || typeof m.mount !== 'string') return null;
  // fsSize() leaves out tmpfs and friends, so the longest prefix can be a parent file system that
  // does not hold the directory at all (data dir on a tmpfs under /): check the device.
  try {
    if (statSync(existing).dev !== statSync(m.mount).dev) return null;
  } catch {
    return null;
  }
  const size = m.size;
  const used = m.used;
  if (!finite(size) || size <= 0 || !finite(used) || used < 0) return null;
  const usePercent = percent(m.use) ?? Math.min(100, (used / size) * 100);
  return { mount: m.mount, sizeBytes: size, usedBytes: used, usePercent };
}
