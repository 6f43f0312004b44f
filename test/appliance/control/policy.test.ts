import { describe, expect, test } from 'bun:test';
import type { OperatingState, WorkerReport } from '../../../appliance/control/operating-state.ts';
import {
  defaultPolicySettings, initialPolicyMemory, policy, type Action, type PolicyMemory, type PolicySettings,
} from '../../../appliance/control/policy/index.ts';
import { NOT_HANDED_OFF } from '../../../appliance/peers/hand-off.ts';

/** The overload policy, scaling half: histories of operating states → actions (DESIGN.md "Overload ladder"). */
const T0 = 1_700_000_000_000;
const PERIOD = 2_000;
const S = defaultPolicySettings(4);

/** A worker: a bare number is a running worker at that CPU share; ids count from 1 in list order. */
type W = number | (Partial<WorkerReport> & { cpuShare: number });
type Host = { cpuPercent?: number | null; cpu?: number | null; cpuMax?: number | null };

function sample(i: number, workers: readonly W[], host: Host = {}): OperatingState {
  const ts = T0 + i * PERIOD;
  return {
    ts,
    activeCalls: 0,
    host: {
      ts, cpuPercent: host.cpuPercent ?? 40, cpuPerCore: [], memory: null, disk: null,
      temperatures: { cpu: host.cpu === undefined ? 55 : host.cpu, cpuMax: host.cpuMax ?? null, chipset: null },
    },
    workers: workers.map((w, k): WorkerReport => ({
      workerId: k + 1, pid: 1000 + k, state: 'running', requestsPerSecond: {}, callsPerSecond: 0, openTransactions: 0,
      replies: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 }, shed: 0, errors: 0,
      rssBytes: 50e6, ...(typeof w === 'number' ? { cpuShare: w } : w),
    })),
  };
}

/** One sample per CPU share, each with `n` running workers at that CPU share. */
const run = (cpuShares: readonly number[], n = 1, host: Host = {}) => cpuShares.map((e, i) => sample(i, Array(n).fill(e), host));
const lastTs = (h: readonly OperatingState[]) => h[h.length - 1].ts;

/** Every action says why, with numbers: the caller logs both. */
function checkBecause(actions: readonly Action[]) {
  for (const a of actions) {
    expect(a.reason.length).toBeGreaterThan(10);
    expect(a.evidence.window).toBeGreaterThan(0);
    expect(a.evidence.matched).toBeGreaterThanOrEqual(0);
  }
}

interface Case {
  history: OperatingState[];
  settings?: Partial<PolicySettings>;
  /** Memory with times relative to the last sample's ts. */
  memory?: (last: number) => Partial<PolicyMemory>;
  want: Partial<Action>[] | Record<string, unknown>[];
}

function decide(c: Case) {
  const last = lastTs(c.history);
  const out = policy({
    history: c.history, settings: { ...S, ...c.settings }, now: last + 500, handOff: NOT_HANDED_OFF,
    memory: { ...initialPolicyMemory, ...c.memory?.(last) },
  });
  checkBecause(out.actions);
  return out;
}

const hot5 = [0.9, 0.9, 0.9, 0.9, 0.9];
const low12 = Array(12).fill(0.1);

describe('policy: scale out with K of W and cool-down', () => {
  const cases: [string, Case][] = [
    ['steady load: nothing', { history: run([0.5, 0.6, 0.5, 0.6, 0.5]), want: [] }],
    ['2 of 5 over: no scaling', { history: run([0.8, 0.5, 0.9, 0.5, 0.5]), want: [] }],
    ['3 of 5 over: scale out', {
      history: run([0.8, 0.5, 0.9, 0.5, 0.76]),
      want: [{ kind: 'scale-out', workers: 2, evidence: expect.objectContaining({ matched: 3, window: 5, running: 1 }) }],
    }],
    ['exactly the threshold counts', { history: run([0.75, 0.75, 0.75]), want: [{ kind: 'scale-out' }] }],
    ['hot samples older than the window do not count', { history: run([0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5]), want: [] }],
    ['mean CPU share of running workers decides', { history: hot5.map((_, i) => sample(i, [0.95, 0.45])), want: [] }],
    ['cool-down since the last scaling suppresses a second scale-out', {
      history: run(hot5, 2), memory: (last) => ({ lastScaleAt: last - 9_000 }), want: [],
    }],
    ['cool-down over: second scale-out', {
      history: run(hot5, 2), memory: (last) => ({ lastScaleAt: last - 10_000 }), want: [{ kind: 'scale-out', workers: 3 }],
    }],
    ['samples from before the last scaling do not count', {
      history: run(hot5, 2), settings: { scaleOutCooldownSeconds: 0 }, memory: (last) => ({ lastScaleAt: last - 3_000 }), want: [],
    }],
    ['a starting worker holds off another scale-out', {
      history: hot5.map((e, i) => sample(i, [e, { cpuShare: 0, state: 'starting' }])), want: [],
    }],
    ['a draining worker is not capacity: its idle CPU share does not dilute the mean', {
      history: hot5.map((e, i) => sample(i, [0.8, { cpuShare: 0.02, state: 'draining' }])),
      want: [{ kind: 'scale-out', workers: 2, evidence: expect.objectContaining({ cpuShare: 0.8, running: 1, draining: 1 }) }],
    }],
    ['max_workers reached: shed instead', {
      history: run(hot5, 4), want: [{ kind: 'shed' }],
    }],
    ['max_workers reached right after a scale-out: shedding waits for the cool-down too', {
      history: run(hot5, 4), memory: (last) => ({ lastScaleAt: last - 7_000 }), want: [],
    }],
    ['max_workers counts starting workers: nothing while one starts', {
      history: hot5.map((e, i) => sample(i, [e, e, e, { cpuShare: 0, state: 'starting' }])), want: [],
    }],
  ];
  for (const [name, c] of cases) test(name, () => expect(decide(c).actions).toMatchObject(c.want));
});

describe('policy: host CPU and temperature', () => {
  const cases: [string, Case][] = [
    ['critical CPU temperature is overload, even at low CPU share: shed (more workers heat more)', {
      history: run([0.3, 0.3, 0.3], 1, { cpu: 95 }),
      want: [{ kind: 'shed', admitFraction: 0.9, evidence: expect.objectContaining({ overload: 'temperature', cpuTemperature: 95 }) }],
    }],
    ['the hottest reading counts (cpuMax when cpu is unavailable)', {
      history: run([0.3, 0.3, 0.3], 1, { cpu: null, cpuMax: 92 }), want: [{ kind: 'shed' }],
    }],
    ['below the critical temperature: nothing', { history: run([0.3, 0.3, 0.3], 1, { cpu: 89 }), want: [] }],
    ['null temperature (sensor unavailable) never counts', { history: run([0.3, 0.3, 0.3], 1, { cpu: null, cpuMax: null }), want: [] }],
    ['host CPU ≥ 90 % with busy workers: overload, shed (no spare core)', {
      history: run([0.6, 0.6, 0.6], 1, { cpuPercent: 95 }),
      want: [{ kind: 'shed', evidence: expect.objectContaining({ overload: 'host-cpu', hostCpuPercent: 95 }) }],
    }],
    ['host CPU ≥ 90 % with idle workers is not ours to fix', { history: run([0.4, 0.4, 0.4], 1, { cpuPercent: 95 }), want: [] }],
    ['unknown host CPU: CPU share alone decides', { history: run([0.8, 0.8, 0.8], 1, { cpuPercent: null }), want: [{ kind: 'scale-out' }] }],
    ['a recent temperature overload in the window blocks scale-out', {
      history: [sample(0, [0.9], { cpu: 95 }), sample(1, [0.9]), sample(2, [0.9])], want: [{ kind: 'shed' }],
    }],
  ];
  for (const [name, c] of cases) test(name, () => expect(decide(c).actions).toMatchObject(c.want));
});

describe('policy: scale in after sustained low load', () => {
  const two = (i: number, e: number) => sample(i, [{ cpuShare: e, openTransactions: 7 }, { cpuShare: e, openTransactions: 2 }]);
  const cases: [string, Case][] = [
    ['10 of 12 low: drain the worker with fewest open transactions', {
      history: low12.map((e, i) => two(i, e)),
      want: [{ kind: 'scale-in', workerId: 2, evidence: expect.objectContaining({ matched: 12, window: 12, running: 2 }) }],
    }],
    ['9 of 12 low: nothing', { history: [0.1, 0.1, 0.5, 0.1, 0.1, 0.5, 0.1, 0.1, 0.5, 0.1, 0.1, 0.1].map((e, i) => two(i, e)), want: [] }],
    ['ties: least loaded, then the newest worker', {
      history: low12.map((_, i) => sample(i, [0.1, 0.05, 0.05])), want: [{ kind: 'scale-in', workerId: 3 }],
    }],
    ['never the worker that registers the trunks (issue 14): the next one instead', {
      history: low12.map((e, i) => sample(i, [{ cpuShare: e, openTransactions: 7 }, { cpuShare: e, openTransactions: 0, registersTrunks: true }])),
      want: [{ kind: 'scale-in', workerId: 1 }],
    }],
    ['never below min_workers (1)', { history: run(low12, 1), want: [] }],
    ['never below min_workers (2)', { history: run(low12, 2), settings: { minWorkers: 2 }, want: [] }],
    ['one drain at a time', {
      history: low12.map((e, i) => sample(i, [e, e, { cpuShare: 0.01, state: 'draining', openTransactions: 3 }])), want: [],
    }],
    ['not while a worker starts', {
      history: low12.map((e, i) => sample(i, [e, e, { cpuShare: 0, state: 'starting' }])), want: [],
    }],
    ['scale-in cool-down after any scaling', {
      history: run(low12, 2), memory: (last) => ({ lastScaleAt: last - 30_000 }), want: [],
    }],
    ['cool-down over', {
      history: run(low12, 2), memory: (last) => ({ lastScaleAt: last - 60_000 }), want: [{ kind: 'scale-in' }],
    }],
    ['overload (temperature) is not low load', { history: run(low12, 2, { cpu: 95 }), want: [{ kind: 'shed' }] }],
  ];
  for (const [name, c] of cases) test(name, () => expect(decide(c).actions).toMatchObject(c.want));
});

describe('policy: purity and memory', () => {
  test('one decision per sample: the same history again gives nothing and the same memory', () => {
    const history = run([0.9, 0.9, 0.9]);
    const first = policy({ history, settings: S, memory: initialPolicyMemory, handOff: NOT_HANDED_OFF, now: lastTs(history) + 500 });
    expect(first.actions.map((a) => a.kind)).toEqual(['scale-out']);
    expect(first.memory).toMatchObject({ lastSampleTs: lastTs(history), lastScaleAt: lastTs(history) + 500 });
    const again = policy({ history, settings: S, memory: first.memory, handOff: NOT_HANDED_OFF, now: lastTs(history) + 20_000 });
    expect(again).toEqual({ actions: [], memory: first.memory });
  });

  test('empty history: nothing', () => {
    expect(policy({ history: [], settings: S, memory: initialPolicyMemory, handOff: NOT_HANDED_OFF, now: T0 })).toEqual({ actions: [], memory: initialPolicyMemory });
  });

  test('no running worker (all starting): no CPU share, no decision', () => {
    expect(decide({ history: hot5.map((_, i) => sample(i, [{ cpuShare: 0, state: 'starting' }])), want: [] }).actions).toEqual([]);
  });

  test('the input memory is not changed', () => {
    const memory = { ...initialPolicyMemory };
    policy({ history: run(hot5), settings: S, memory, handOff: NOT_HANDED_OFF, now: T0 + 20_000 });
    expect(memory).toEqual(initialPolicyMemory);
  });
});

describe('defaultPolicySettings', () => {
  test('max_workers is the core count, min_workers 1', () => {
    expect(defaultPolicySettings(4)).toMatchObject({ minWorkers: 1, maxWorkers: 4, scaleOutCpuShare: 0.75, scaleInCpuShare: 0.25 });
    expect(defaultPolicySettings(0).maxWorkers).toBe(1);
  });
  test('the thresholds nest: relax < shed target < scale-out; K ≤ W', () => {
    const s = defaultPolicySettings(2);
    expect(s.scaleInCpuShare).toBeLessThan(s.shedRelaxCpuShare);
    expect(s.shedRelaxCpuShare).toBeLessThan(s.shedTargetCpuShare);
    expect(s.shedTargetCpuShare).toBeLessThan(s.scaleOutCpuShare);
    expect(s.scaleOutSamples).toBeLessThanOrEqual(s.scaleOutWindow);
    expect(s.scaleInSamples).toBeLessThanOrEqual(s.scaleInWindow);
    expect(s.shedRelaxSamples).toBeLessThanOrEqual(s.shedRelaxWindow);
  });
});
