/**
 * The overload policy and this appliance's own state in plain words, for the Peers page (pure:
 * table-tested in test/web-ui/policy-words.test.ts). The settings are the `[control]` keys
 * (appliance/control/policy/settings.ts), windows counted in samples.
 */
import type { PeersView } from '../appliance/web/api/control-api.ts';

/** The policy settings as `GET /api/peers` sends them: the API's own type. */
export type PolicyView = PeersView['policy'];

/** This appliance's hand-off (`GET /api/peers` → handOff; peers/hand-off.ts). */
export type HandOffView = PeersView['handOff'];

/** Shedding in force (`GET /api/peers` → shedding; null when not shedding). */
export type SheddingView = NonNullable<PeersView['shedding']>;

const pct = (cpuShare: number) => `${Math.round(cpuShare * 100)} %`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "about 10 s" for a number of samples, when the sampling period is known. */
export function aboutTime(samples: number, periodSeconds: number | null): string {
  if (!periodSeconds) return '';
  const s = Math.round(samples * periodSeconds);
  return s < 120 ? ` (about ${s} s)` : ` (about ${Math.round(s / 60)} min)`;
}

/** The policy in a few sentences, in the order it acts (DESIGN.md "Overload ladder"). */
export function policySummary(p: PolicyView, periodSeconds: number | null): string[] {
  const t = (n: number) => aboutTime(n, periodSeconds);
  const workers = p.minWorkers === p.maxWorkers
    ? `It always runs ${plural(p.minWorkers, 'worker')} (connection control sections).`
    : `It runs between ${p.minWorkers} and ${plural(p.maxWorkers, 'worker')} (connection control sections), one per CPU core at most.`;
  const lines = [
    workers,
    p.minWorkers === p.maxWorkers
      ? `When the workers are busy (${pct(p.scaleOutCpuShare)} or more) in ${p.scaleOutSamples} of the last ${plural(p.scaleOutWindow, 'sample')}${t(p.scaleOutWindow)}, it cannot add one, so it starts shedding.`
      : `It adds a worker when they are busy (${pct(p.scaleOutCpuShare)} or more) in ${p.scaleOutSamples} of the last ${plural(p.scaleOutWindow, 'sample')}${t(p.scaleOutWindow)}, at most every ${p.scaleOutCooldownSeconds} s, and removes one after ${p.scaleInSamples} of ${plural(p.scaleInWindow, 'sample')}${t(p.scaleInWindow)} at ${pct(p.scaleInCpuShare)} or less.`,
    `The host counts as overloaded too when its CPU reaches ${p.hostCpuPercent} % while the workers are at least ${pct(p.hostCpuCpuShare)} busy, or the CPU temperature reaches ${p.criticalCpuTemperature} °C.`,
    `With every worker busy it sheds: new calls and registrations beyond what keeps the workers near ${pct(p.shedTargetCpuShare)} are answered "503, try again in ${p.shedRetryAfterSeconds}–${p.shedMaxRetryAfterSeconds} s"; calls in progress and emergency calls are never refused, and at least ${p.shedMinCallsPerSecond} call/s and ${p.shedMinRegistersPerSecond} registrations/s per worker always get through.`,
  ];
  if (p.peers.length === 0) {
    lines.push('No peer appliance is configured, so it never hands traffic off: shedding is the last step.');
  } else {
    lines.push(`After ${plural(p.handOffAfterSamples, 'sample')} of shedding${t(p.handOffAfterSamples)} it hands new calls and registrations to ${p.peers.length === 1 ? `the peer ${p.peers[0]}` : `the least loaded of ${p.peers.join(', ')}`}; a refused hand-off is tried again after ${p.handOffRetrySeconds} s.`,
      `It takes its traffic back after ${plural(p.takeBackAfterSamples, 'calm sample')}${t(p.takeBackAfterSamples)} without shedding (only a hand-off the policy made: one an admin made is taken back by an admin).`);
  }
  return lines;
}

/** Why the traffic was handed off, in words. */
const CAUSE_WORDS: Record<NonNullable<HandOffView['cause']>, string> = {
  policy: 'the overload policy: this appliance was shedding and could not keep up',
  admin: 'an admin handed it off (Peers page or CLI)',
  schedule: 'a scheduled hand-off window ([[control.hand_off_schedule]])',
  situation: 'an admin switched on "evacuate this box"',
};

/** This appliance's own state: normal, shedding, or handed off to a peer since when and why. */
export interface OwnState {
  readonly state: 'normal' | 'shedding' | 'handed-off';
  /** What follows the state's badge: "[shedding] since ...", "[handed off] to b since ...". */
  readonly headline: string;
  readonly detail: string;
}

export function ownState(h: HandOffView | undefined, shed: SheddingView | null | undefined, fmtTime: (ts: number) => string): OwnState {
  if (h?.to) {
    return {
      state: 'handed-off',
      headline: `to ${h.to}${h.since ? ` since ${fmtTime(h.since)}` : ''}`,
      detail: `New calls and registrations go to ${h.to}; calls already up stay here. Why: ${h.cause ? CAUSE_WORDS[h.cause] : 'not recorded'}.`,
    };
  }
  if (shed) {
    return {
      state: 'shedding',
      headline: `since ${fmtTime(shed.since)}`,
      detail: `Overloaded: each worker admits ${shed.callsPerSecond} new calls/s and ${shed.registersPerSecond} registrations/s; beyond that phones are told to retry in ${shed.retryAfterSeconds} s. Calls in progress and emergency calls go on. Why: ${shed.reason}.`,
    };
  }
  return { state: 'normal', headline: 'carrying its own traffic', detail: 'Nothing is shed and nothing is handed off.' };
}
