import { describe, expect, test } from 'bun:test';
import type { OperatingState, WorkerReport } from '../../../appliance/control/operating-state.ts';
import {
  defaultPolicySettings, initialPolicyMemory, policy, type PolicyMemory, type PolicySettings,
} from '../../../appliance/control/policy/index.ts';
import { NOT_HANDED_OFF, type HandOffStatus } from '../../../appliance/peers/hand-off.ts';

/**
 * The overload policy over time: shedding (enter, tighten, hold, relax, stop), hand-off and
 * take-back. Each timeline feeds one sample at a time, carrying the memory, as the control
 * section does every sampling period.
 */
const T0 = 1_700_000_000_000;
const PERIOD = 2_000;

type Host = { cpuPercent?: number | null; cpu?: number | null };
/** `n` running workers at CPU share `cpuShare`, each taking 100 INVITE/s and 50 REGISTER/s, `shed` refused each. */
interface Load { cpuShare: number; shed?: number; n?: number; calls?: number; registers?: number; host?: Host }

function sample(i: number, l: Load): OperatingState {
  const ts = T0 + i * PERIOD;
  const calls = l.calls ?? 100;
  const registers = l.registers ?? 50;
  return {
    ts,
    activeCalls: 0,
    host: {
      ts, cpuPercent: l.host?.cpuPercent ?? 50, cpuPerCore: [], memory: null, disk: null,
      temperatures: { cpu: l.host?.cpu ?? 60, cpuMax: null, chipset: null },
    },
    workers: Array.from({ length: l.n ?? 2 }, (_, k): WorkerReport => ({
      workerId: k + 1, pid: 1000 + k, state: 'running', cpuShare: l.cpuShare,
      requestsPerSecond: { INVITE: calls, REGISTER: registers, BYE: calls }, callsPerSecond: calls,
      openTransactions: 10, replies: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 },
      shed: l.shed ?? 0, errors: 0, rssBytes: 50e6,
    })),
  };
}

/** A timeline row: the sample's load and the actions expected right after it. */
type Row = [Load, Record<string, unknown>[]];

/**
 * How the hand-off's owner answers a `hand-off` action in a timeline: `accept` by the first
 * candidate, or `refuse` (every peer refused: the failure time the policy waits out).
 */
type Peers = 'accept' | 'refuse';

/**
 * Runs a timeline; the policy is called half a second after each sample, as the sampler would.
 * The hand-off status is what its owner would record from the actions (peers/hand-off.ts).
 */
function play(rows: readonly Row[], settings: PolicySettings, memory: PolicyMemory = initialPolicyMemory,
  handOff: HandOffStatus = NOT_HANDED_OFF, peers: Peers = 'accept') {
  const history: OperatingState[] = [];
  rows.forEach(([load, want], i) => {
    history.push(sample(i, load));
    const now = history[i].ts + 500;
    const out = policy({ history, settings, memory, handOff, now });
    for (const a of out.actions) {
      expect(a.reason.length).toBeGreaterThan(10);
      expect(a.evidence.window).toBeGreaterThan(0);
      if (a.kind === 'hand-off') {
        handOff = peers === 'accept'
          ? { ...NOT_HANDED_OFF, to: a.peers[0], cause: 'policy', since: now }
          : { ...NOT_HANDED_OFF, lastFailureAt: now, lastFailure: `${a.peers.join(', ')} refused: overloaded` };
      }
      if (a.kind === 'take-back') handOff = NOT_HANDED_OFF;
    }
    expect({ row: i, actions: out.actions }).toMatchObject({ row: i, actions: want });
    memory = out.memory;
  });
  return { memory, handOff };
}

const hot = (cpuShare = 0.9, shed = 0): Load => ({ cpuShare, shed });
const none: Row[1] = [];

describe('shedding when every worker is saturated (max_workers = 2)', () => {
  const S = defaultPolicySettings(2);

  test('enter at the throughput for the target CPU share, tighten, hold, relax step by step, stop', () => {
    const end = play([
      [hot(), none],
      [hot(), none],
      // 100 calls/s at CPU share 0.9 per worker → 100 × 0.7 / 0.9 admitted; Retry-After 10 s / 0.78.
      [hot(), [{ kind: 'shed', rates: { callsPerSecond: 77.78, registersPerSecond: 38.89, retryAfterSeconds: 13 }, admitFraction: 0.78 }]],
      // Only samples after the change count: 1 and 2 fresh hot samples are not yet 3 of 5.
      [hot(0.8, 20), none],
      [hot(0.8, 20), none],
      // Still over: cut by 0.7 / 0.8 again (multiplicative decrease).
      [hot(0.8, 20), [{ kind: 'shed', rates: { callsPerSecond: 68.06, registersPerSecond: 34.03, retryAfterSeconds: 15 } }]],
      // Between shed_relax_cpu_share (0.6) and scale_out_cpu_share (0.75): hold.
      [hot(0.65, 30), none],
      [hot(0.65, 30), none],
      [hot(0.65, 30), none],
      [hot(0.4, 30), none],
      [hot(0.4, 30), none],
      // 3 of 5 calm but requests still refused: add 10 % of the entry throughput (additive increase).
      [hot(0.4, 30), [{ kind: 'shed', rates: { callsPerSecond: 78.06, retryAfterSeconds: 13 } }]],
      [hot(0.5), none],
      [hot(0.5), none],
      // Calm and nothing refused: the demand fits, shedding ends.
      [hot(0.5), [{ kind: 'stop-shedding' }]],
      [hot(0.5), none],
    ], S);
    expect(end.memory.shedding).toBeNull();
  });

  test('a registration storm: calls keep their floor, registrations are cut', () => {
    play([
      [{ cpuShare: 1, n: 1, calls: 0, registers: 300 }, none],
      [{ cpuShare: 1, n: 1, calls: 0, registers: 300 }, none],
      [{ cpuShare: 1, n: 1, calls: 0, registers: 300 }, [{ kind: 'shed', rates: { callsPerSecond: 1, registersPerSecond: 210, retryAfterSeconds: 14 } }]],
    ], defaultPolicySettings(1));
  });

  test('overload without high CPU share (temperature): every step cuts at least shed_min_cut; Retry-After capped', () => {
    const S1 = { ...defaultPolicySettings(1), shedMinCut: 0.5 };
    const heat: Load = { cpuShare: 0.3, n: 1, calls: 10, registers: 4, shed: 5, host: { cpu: 96 } };
    play([
      [heat, none], [heat, none],
      [heat, [{ kind: 'shed', rates: { callsPerSecond: 5, registersPerSecond: 2, retryAfterSeconds: 20 } }]],
      [heat, none], [heat, none],
      [heat, [{ kind: 'shed', rates: { callsPerSecond: 2.5, registersPerSecond: 2, retryAfterSeconds: 40 } }]],
      [heat, none], [heat, none],
      [heat, [{ kind: 'shed', rates: { callsPerSecond: 1.25, retryAfterSeconds: 80 } }]],
      [heat, none], [heat, none],
      // Floors: 1 call/s and 2 registrations/s per worker; Retry-After at most 120 s.
      [heat, [{ kind: 'shed', rates: { callsPerSecond: 1, registersPerSecond: 2, retryAfterSeconds: 120 } }]],
    ], S1);
  });

  test('shedding with a worker slot free and requests refused: scale out', () => {
    const cool = (shed: number): Load => ({ cpuShare: 0.7, n: 1, shed });
    play([
      [{ cpuShare: 0.3, n: 1, host: { cpu: 95 } }, none],
      [{ cpuShare: 0.3, n: 1, host: { cpu: 95 } }, none],
      [{ cpuShare: 0.3, n: 1, host: { cpu: 95 } }, [{ kind: 'shed', admitFraction: 0.9 }]],
      [cool(10), none],
      [cool(10), none],
      // The temperature is back to normal: a second worker adds capacity (per-worker rates).
      [cool(10), [{ kind: 'scale-out', workers: 2 }]],
      [cool(10), none],
    ], defaultPolicySettings(2));
  });
});

describe('hand-off to a peer and take-back', () => {
  const S = { ...defaultPolicySettings(1), handOffAfterSamples: 4, takeBackAfterSamples: 5 };
  const one = (cpuShare: number, shed = 0): Load => ({ cpuShare, n: 1, shed });
  const overloaded: Row[] = [
    [one(0.9), none],
    [one(0.9), none],
    [one(0.9), [{ kind: 'shed' }]],
    [one(0.9, 40), none],
    [one(0.9, 40), none],
  ];

  test('hand-off after N samples of shedding, once; take-back after sustained health', () => {
    const end = play([
      ...overloaded,
      [one(0.9, 40), [{ kind: 'shed' }]],
      // Fourth sample while shedding: hand new traffic to the peer.
      [one(0.9, 40), [{ kind: 'hand-off', peers: ['annex'] }]],
      [one(0.2), none],
      [one(0.2), none],
      // Calm, but the window still holds a sample with requests refused: relax first.
      [one(0.2), [{ kind: 'shed' }]],
      [one(0.2), none],
      [one(0.2), none],
      [one(0.2), [{ kind: 'stop-shedding' }]],
      // Health counts from here: samples taken while shedding do not.
      [one(0.2), none],
      [one(0.2), none],
      // A busier sample resets the count.
      [one(0.65), none],
      [one(0.2), none],
      [one(0.2), none],
      [one(0.2), none],
      [one(0.2), none],
      [one(0.2), [{ kind: 'take-back' }]],
      [one(0.2), none],
    ], { ...S, peers: ['annex'] });
    expect(end.handOff.to).toBeNull();
  });

  test('no peers configured: never a hand-off', () => {
    const end = play([
      ...overloaded,
      [one(0.9, 40), [{ kind: 'shed' }]],
      [one(0.9, 40), none],
      [one(0.9, 40), none],
      [one(0.9, 40), [{ kind: 'shed' }]],
      [one(0.9, 40), none],
    ], S);
    expect(end.memory).toMatchObject({ shedding: { samples: 7 } });
    expect(end.handOff).toEqual(NOT_HANDED_OFF);
  });

  test('no take-back while still shedding, however calm', () => {
    const handedOff: HandOffStatus = { ...NOT_HANDED_OFF, to: 'annex', cause: 'policy', since: T0 - 60_000 };
    const end = play([
      ...overloaded,
      [one(0.2, 40), none], [one(0.2, 40), none], [one(0.2, 40), [{ kind: 'shed' }]],
      [one(0.2, 40), none], [one(0.2, 40), none], [one(0.2, 40), [{ kind: 'shed' }]],
    ], S, initialPolicyMemory, handedOff);
    expect(end.memory).toMatchObject({ healthySamples: 0 });
    expect(end.handOff).toEqual(handedOff);
  });

  // Issue 13, item 1: the policy believed a refused hand-off had happened and never retried.
  test('every peer refused: no hand-off believed, asked again after the retry cool-down', () => {
    const shedding: Row[] = Array.from({ length: 12 }, () => [one(0.9, 40), expect.anything() as never] as Row);
    const settings = { ...S, peers: ['annex', 'annex-2'], handOffRetrySeconds: 10 };
    const history: OperatingState[] = [];
    let memory = initialPolicyMemory;
    let handOff: HandOffStatus = NOT_HANDED_OFF;
    const asked: number[] = [];
    [...overloaded, ...shedding].forEach(([load], i) => {
      history.push(sample(i, load));
      const now = history[i].ts + 500;
      const out = policy({ history, settings, memory, handOff, now });
      memory = out.memory;
      if (out.actions.some((a) => a.kind === 'hand-off')) {
        asked.push(i);
        handOff = { ...NOT_HANDED_OFF, lastFailureAt: now, lastFailure: 'annex refused: overloaded; annex-2 unreachable' };
      }
      expect(out.actions.some((a) => a.kind === 'take-back')).toBe(false);
    });
    // Shedding from row 2, hand-off after 4 samples of it (row 6), then every 10 s = 5 samples.
    expect(asked).toEqual([6, 11, 16]);
  });

  test('the second attempt names the last refusal in its reason', () => {
    const failed: HandOffStatus = { ...NOT_HANDED_OFF, lastFailureAt: T0 - 60_000, lastFailure: 'annex refused: overloaded' };
    play([
      ...overloaded,
      [one(0.9, 40), [{ kind: 'shed' }]],
      [one(0.9, 40), [{ kind: 'hand-off', reason: expect.stringContaining('last time annex refused: overloaded') }]],
    ], { ...S, peers: ['annex'] }, initialPolicyMemory, failed, 'refuse');
  });

  test('a hand-off made by the admin (or a schedule): the policy neither hands off again nor takes it back', () => {
    for (const cause of ['admin', 'schedule', 'situation'] as const) {
      const manual: HandOffStatus = { ...NOT_HANDED_OFF, to: 'annex', cause, since: T0 - 60_000 };
      const loads = [...overloaded.map(([l]) => l), ...Array.from({ length: 6 }, () => one(0.9, 40)), ...Array.from({ length: 30 }, () => one(0.1))];
      const history: OperatingState[] = [];
      let memory = initialPolicyMemory;
      const kinds = new Set<string>();
      loads.forEach((load, i) => {
        history.push(sample(i, load));
        const out = policy({ history, settings: { ...S, peers: ['annex'], takeBackAfterSamples: 3 }, memory, handOff: manual, now: history[i].ts + 500 });
        memory = out.memory;
        for (const a of out.actions) kinds.add(a.kind);
      });
      // It shed and stopped shedding (its own steps), and was healthy long enough to take back.
      expect([...kinds].sort()).toEqual(['shed', 'stop-shedding']);
      expect(memory.healthySamples).toBeGreaterThan(3);
    }
  });

  test('while an attempt is under way nothing more is decided about it', () => {
    const pending: HandOffStatus = { ...NOT_HANDED_OFF, pending: true };
    const end = play([...overloaded, [one(0.9, 40), [{ kind: 'shed' }]], [one(0.9, 40), none], [one(0.9, 40), none]], { ...S, peers: ['annex'] },
      initialPolicyMemory, pending);
    expect(end.handOff).toEqual(pending);
  });
});
