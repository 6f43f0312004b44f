import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createHostSampler,
  findMount,
  type HostSample,
  type HostSensorSource,
  plausibleTemperature,
  resolveDataDir,
} from '../../../system/sensors/host-sampler.ts';

const tmp = mkdtempSync(join(tmpdir(), 'host-sampler-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectSane(s: HostSample) {
  expect(Number.isFinite(s.ts)).toBe(true);
  if (s.cpuPercent !== null) {
    expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(s.cpuPercent).toBeLessThanOrEqual(100);
  }
  for (const c of s.cpuPerCore) {
    expect(c).toBeGreaterThanOrEqual(0);
    expect(c).toBeLessThanOrEqual(100);
  }
  for (const t of [s.temperatures.cpu, s.temperatures.cpuMax, s.temperatures.chipset]) {
    // null (no sensor: VMs) or a plausible °C value, never 0
    if (t !== null) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThan(150);
    }
  }
}

describe('createHostSampler on this machine (real systeminformation)', () => {
  test('first and steady samples: sane ranges, disk of the data dir found, bounded cost', async () => {
    const sampler = createHostSampler({ dataDir: join(tmp, 'data-not-created-yet') });
    let t0 = performance.now();
    const first = await sampler.sample();
    const firstMs = performance.now() - t0;
    await Bun.sleep(250); // currentLoad() answers nothing new within 200 ms of its previous call
    t0 = performance.now();
    const steady = await sampler.sample();
    const steadyMs = performance.now() - t0;
    console.log(`host sample: first ${firstMs.toFixed(0)} ms, steady ${steadyMs.toFixed(1)} ms`);

    for (const s of [first, steady]) {
      expectSane(s);
      expect(s.cpuPercent).not.toBeNull();
      expect(s.cpuPerCore.length).toBe(cpus().length);
      expect(s.memory).not.toBeNull();
      expect(s.memory!.totalBytes).toBeGreaterThan(0);
      expect(s.memory!.availableBytes).toBeGreaterThan(0);
      expect(s.memory!.usedBytes + s.memory!.availableBytes).toBe(s.memory!.totalBytes);
      expect(s.disk).not.toBeNull();
      expect(findMount(resolveDataDir(tmp).path, [s.disk!])).not.toBeNull(); // the mount holds the data dir
      expect(s.disk!.sizeBytes).toBeGreaterThan(0);
      expect(s.disk!.usedBytes).toBeGreaterThanOrEqual(0);
      expect(s.disk!.usePercent).toBeGreaterThanOrEqual(0);
      expect(s.disk!.usePercent).toBeLessThanOrEqual(100);
    }
    expect(firstMs).toBeLessThan(1800); // bounded by the 1.5 s per-group limit
    expect(steadyMs).toBeLessThan(100); // load + memory only; temperature and disk are cached
  });
});

/** A fake whose every sensor fails in a different way. */
const failing: HostSensorSource = {
  currentLoad: () => Promise.reject(new Error('no /proc/stat')),
  mem: () => {
    throw new Error('synchronous throw');
  },
  cpuTemperature: () => Promise.resolve({ main: Number.NaN, max: 0, chipset: undefined }),
  fsSize: () => Promise.resolve(null as never),
};

function fakeSource(over: Partial<HostSensorSource> = {}): HostSensorSource & { calls: Record<string, number> } {
  const calls: Record<string, number> = { currentLoad: 0, mem: 0, cpuTemperature: 0, fsSize: 0 };
  const base: HostSensorSource = {
    currentLoad: async () => ({ currentLoad: 42, cpus: [{ load: 40 }, { load: 44 }] }),
    mem: async () => ({ total: 1000, available: 250 }),
    cpuTemperature: async () => ({ main: 55, max: 61.5, chipset: null }),
    fsSize: async () => [{ mount: '/', size: 100, used: 25, use: 25 }],
  };
  const merged = { ...base, ...over };
  const counted = {} as HostSensorSource;
  for (const k of Object.keys(calls) as (keyof HostSensorSource)[]) {
    (counted as any)[k] = () => {
      calls[k]++;
      return (merged[k] as () => unknown)();
    };
  }
  return Object.assign(counted, { calls });
}

describe('createHostSampler with a fake source', () => {
  test('every sensor failing: nulls, no throw', async () => {
    const s = await createHostSampler({ dataDir: tmp }, failing).sample();
    expect(s).toMatchObject({
      cpuPercent: null,
      cpuPerCore: [],
      memory: null,
      temperatures: { cpu: null, cpuMax: null, chipset: null },
      disk: null,
    });
    expect(Number.isFinite(s.ts)).toBe(true);
  });

  test('garbage values: NaN / 0 / negative / absurd become null, never 0', async () => {
    const src = fakeSource({
      currentLoad: async () => ({ currentLoad: Number.NaN, cpus: [{ load: 3 }] }),
      mem: async () => ({ total: 0, available: 10 }),
      cpuTemperature: async () => ({ main: null, max: 500, chipset: -4 }),
      fsSize: async () => [{ mount: '/', size: Number.NaN, used: 1, use: 1 }],
    });
    const s = await createHostSampler({ dataDir: tmp }, src).sample();
    expect(s).toMatchObject({ cpuPercent: null, cpuPerCore: [], memory: null, temperatures: { cpu: null, cpuMax: null, chipset: null }, disk: null });
    expect([0, -1, Number.NaN, 150, undefined, null, '40'].map(plausibleTemperature)).toEqual([null, null, null, null, null, null, null]);
    expect(plausibleTemperature(41.5)).toBe(41.5);
  });

  test('healthy fake: fields mapped (main → cpu, max → cpuMax, chipset → chipset; used = total − available)', async () => {
    const s = await createHostSampler({ dataDir: tmp }, fakeSource({ cpuTemperature: async () => ({ main: 55, max: 61.5, chipset: 48 }) })).sample();
    expect(s).toMatchObject({
      cpuPercent: 42,
      cpuPerCore: [40, 44],
      memory: { totalBytes: 1000, usedBytes: 750, availableBytes: 250 },
      temperatures: { cpu: 55, cpuMax: 61.5, chipset: 48 },
      disk: { mount: '/', sizeBytes: 100, usedBytes: 25, usePercent: 25 },
    });
  });

  test('a hanging sensor is cut off at the time limit and never called twice concurrently', async () => {
    const src = fakeSource({ fsSize: () => new Promise(() => {}), cpuTemperature: () => new Promise(() => {}) });
    const sampler = createHostSampler({ dataDir: tmp, timeoutMs: 50 }, src);
    const t0 = performance.now();
    const a = await sampler.sample();
    const b = await sampler.sample();
    expect(performance.now() - t0).toBeLessThan(500);
    for (const s of [a, b]) {
      expect(s.disk).toBeNull();
      expect(s.temperatures).toEqual({ cpu: null, cpuMax: null, chipset: null });
      expect(s.cpuPercent).toBe(42); // the other groups are unaffected
    }
    expect(src.calls.fsSize).toBe(1);
    expect(src.calls.cpuTemperature).toBe(1);
    expect(src.calls.currentLoad).toBe(2);
  });

  test('temperature and disk are cached; load and memory are read every sample', async () => {
    const src = fakeSource();
    const sampler = createHostSampler({ dataDir: tmp }, src);
    for (let i = 0; i < 3; i++) await sampler.sample();
    expect(src.calls).toEqual({ currentLoad: 3, mem: 3, cpuTemperature: 1, fsSize: 1 });

    const src2 = fakeSource();
    const uncached = createHostSampler({ dataDir: tmp, temperatureMaxAgeMs: 0, diskMaxAgeMs: 0 }, src2);
    for (let i = 0; i < 3; i++) await uncached.sample();
    expect(src2.calls).toEqual({ currentLoad: 3, mem: 3, cpuTemperature: 3, fsSize: 3 });
  });

  test('no temperature sensor at all: re-probed only after the long "absent" age', async () => {
    const src = fakeSource({ cpuTemperature: async () => ({ main: null, max: null, chipset: null }) });
    const sampler = createHostSampler({ dataDir: tmp, temperatureMaxAgeMs: 0, temperatureAbsentMaxAgeMs: 60_000 }, src);
    for (let i = 0; i < 3; i++) await sampler.sample();
    expect(src.calls.cpuTemperature).toBe(1);
  });

  test('currentLoad() answering {} (called again within 200 ms) reuses the previous reading', async () => {
    let n = 0;
    const src = fakeSource({ currentLoad: async () => (n++ === 0 ? { currentLoad: 12, cpus: [{ load: 12 }] } : {}) });
    const sampler = createHostSampler({ dataDir: tmp }, src);
    expect((await sampler.sample()).cpuPercent).toBe(12);
    expect((await sampler.sample()).cpuPercent).toBe(12);
    const stale = createHostSampler({ dataDir: tmp, loadReuseMaxAgeMs: -1 }, fakeSource({ currentLoad: async () => ({}) }));
    expect((await stale.sample()).cpuPercent).toBeNull();
  });

  test('data dir on a file system fsSize() does not list (e.g. tmpfs, proc): null, not the parent mount', async () => {
    const s = await createHostSampler({ dataDir: '/proc/self' }, fakeSource()).sample();
    expect(s.disk).toBeNull();
  });
});

describe('findMount / resolveDataDir', () => {
  const mounts = [{ mount: '/' }, { mount: '/data' }, { mount: '/data2' }, { mount: '/data/deep/' }, { mount: 'tmpfs' }];
  test('longest whole-component prefix', () => {
    expect(findMount('/data2/x', mounts)?.mount).toBe('/data2');
    expect(findMount('/data/x', mounts)?.mount).toBe('/data');
    expect(findMount('/data', mounts)?.mount).toBe('/data');
    expect(findMount('/data/deep/er', mounts)?.mount).toBe('/data/deep/');
    expect(findMount('/datax', mounts)?.mount).toBe('/');
    expect(findMount('/x', [{ mount: '/y' }])).toBeNull();
  });
  test('symlinks resolved; a missing directory resolves through its nearest existing parent', () => {
    const real = join(tmp, 'real');
    mkdirSync(real);
    symlinkSync(real, join(tmp, 'link'));
    const realTmp = resolveDataDir(tmp).path;
    expect(resolveDataDir(join(tmp, 'link')).path).toBe(join(realTmp, 'real'));
    expect(resolveDataDir(join(tmp, 'link', 'a', 'b'))).toEqual({ path: join(realTmp, 'real', 'a', 'b'), existing: join(realTmp, 'real') });
  });
});
