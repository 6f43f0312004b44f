/**
 * Load-weighted SRV for a peer group (issue 19): the priority and weight each member gets in
 * the office domain's SIP SRV records (RFC 2782: the lowest priority is tried first; among equal
 * priorities a target is chosen with probability weight / sum of weights), from each member's
 * measured load (the mean CPU share of its workers) and CPU temperature in the heartbeat summaries.
 * A pure function: memory in, memory out.
 */

/** One member's load as the heartbeats (or, for this appliance, its own sampler) tell it. */
export interface MemberLoad {
  readonly name: string;
  /** Mean CPU share of its running workers, 0-1 (unknown: 0.5). */
  readonly cpuShare: number | undefined;
  /** Hottest CPU reading, °C; null: no sensor. */
  readonly temperature: number | null | undefined;
  /** Its policy says overloaded (shedding, or over the scale-out threshold). */
  readonly overloaded: boolean;
  /** It handed its new traffic to a peer. */
  readonly handedOff: boolean;
}

export interface SrvWeightSettings {
  /** `[control] critical_cpu_temperature` (the policy sheds there). */
  readonly criticalTemperature: number;
  /** Below critical by this much the temperature starts to count (°C). */
  readonly warmBand: number;
  /** A weight moves only when its target is at least this far away (hysteresis). */
  readonly deadband: number;
  /** A weight moves at most this much per change (bounded rate)... */
  readonly maxStep: number;
  /** ...and changes come at least this far apart (ms). */
  readonly minIntervalMs: number;
}

export const DEFAULT_SRV_WEIGHTS: SrvWeightSettings = { criticalTemperature: 90, warmBand: 15, deadband: 10, maxStep: 25, minIntervalMs: 5_000 };

/** RFC 2782 priorities: members that serve, and those overloaded or handed off (tried only after). */
export const PRIORITY_SERVING = 10;
export const PRIORITY_BUSY = 20;
/** Weights stay in 1..100 (0 is "rarely" in RFC 2782; every member serving stays reachable). */
const MAX_WEIGHT = 100;
const MIN_WEIGHT = 1;

export interface SrvWeightMemory {
  /** The weight each member was last given. */
  readonly weights: Readonly<Record<string, number>>;
  /** Epoch ms of the last change (null: none yet). */
  readonly changedAt: number | null;
}

export const INITIAL_SRV_MEMORY: SrvWeightMemory = { weights: {}, changedAt: null };

/** What one member gets in the SRV records. */
export interface SrvPlace {
  readonly priority: number;
  readonly weight: number;
}

/**
 * The weight a member's load asks for: 100 × its headroom (1 − CPU share) × a thermal factor
 * (1 up to `critical − warmBand` °C, falling linearly to 0 at critical), at least 1.
 */
export function targetWeight(m: MemberLoad, s: SrvWeightSettings): number {
  const headroom = clamp(1 - (m.cpuShare ?? 0.5), 0, 1);
  const t = m.temperature;
  const thermal = t === null || t === undefined ? 1 : clamp((s.criticalTemperature - t) / s.warmBand, 0, 1);
  return Math.max(MIN_WEIGHT, Math.round(MAX_WEIGHT * headroom * thermal));
}

/**
 * The members' SRV places now, and the memory for next time. A member new to the memory starts
 * at its target; a known one moves only when its target is at least `deadband` away, by at most
 * `maxStep`, and only `minIntervalMs` after the last change: a load that wobbles does not make
 * the records flap, and caches holding the old records (TTL) see a bounded difference.
 * Priority follows the member's own state at once (overloaded or handed off: `PRIORITY_BUSY`).
 */
export function srvPlaces(members: readonly MemberLoad[], memory: SrvWeightMemory, now: number, s: SrvWeightSettings = DEFAULT_SRV_WEIGHTS): { places: Map<string, SrvPlace>; memory: SrvWeightMemory } {
  const mayMove = memory.changedAt === null || now - memory.changedAt >= s.minIntervalMs;
  const weights: Record<string, number> = {};
  let changed = false;
  for (const m of members) {
    const target = targetWeight(m, s);
    const was = memory.weights[m.name];
    let w = was ?? target;
    if (was !== undefined && mayMove && Math.abs(target - was) >= s.deadband) {
      w = was + clamp(target - was, -s.maxStep, s.maxStep);
    }
    if (w !== was) changed = true;
    weights[m.name] = w;
  }
  const places = new Map(members.map((m) => [m.name, { priority: m.overloaded || m.handedOff ? PRIORITY_BUSY : PRIORITY_SERVING, weight: weights[m.name] }]));
  return { places, memory: { weights, changedAt: changed ? now : memory.changedAt } };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
