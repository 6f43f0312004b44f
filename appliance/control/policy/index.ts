import type { HandOffStatus } from '../../peers/hand-off.ts';
import type { OperatingState } from '../operating-state.ts';
import type { PolicySettings } from './settings.ts';
import type { Action } from './actions.ts';
import { assess } from './assess.ts';
import type { PolicyMemory } from './memory.ts';
import { POLICY_RULES, type RuleInput } from './rules.ts';

export type { Action, Evidence, HandOff, ScaleIn, ScaleOut, Shed, StopShedding, TakeBack } from './actions.ts';
export type { Assessment, OverloadCause } from './assess.ts';
export { initialPolicyMemory, type PolicyMemory, type SheddingMemory } from './memory.ts';
export { defaultPolicySettings, type PolicySettings } from './settings.ts';
export { POLICY_RULES, type PolicyRule, type RuleInput, type RuleOutcome } from './rules.ts';

/** The policy's input: the sampled history (oldest first), settings, memory from the last call, the time. */
export interface PolicyInput {
  readonly history: readonly OperatingState[];
  readonly settings: PolicySettings;
  readonly memory: PolicyMemory;
  /** The hand-off as its owner (peers/hand-off.ts) knows it. */
  readonly handOff: HandOffStatus;
  /** Epoch milliseconds, same clock as the samples' `ts`. */
  readonly now: number;
}

/** Actions for the caller to apply and log (with the operating state), and the memory to pass next time. */
export interface PolicyOutput {
  readonly actions: readonly Action[];
  readonly memory: PolicyMemory;
}

/**
 * The control section's overload policy (DESIGN.md "Overload ladder"): normal → scale out →
 * shed → hand off → recover. A pure function: memory in, memory out; sockets, processes and the
 * event log are the caller's. It decides once per new sample: called again without a newer
 * sample it returns no actions and the same memory.
 *
 * Load is the mean CPU share of the running workers (starting and draining ones take no new
 * work, so they are not capacity); host CPU with busy workers and a critical CPU temperature are
 * overload too, but only CPU share overload is cured by another worker.
 */
export function policy(input: PolicyInput): PolicyOutput {
  const { history, settings: s, now } = input;
  const state = history[history.length - 1];
  if (!state || (input.memory.lastSampleTs !== null && state.ts <= input.memory.lastSampleTs)) {
    return { actions: [], memory: input.memory };
  }
  const samples = history.map((h) => assess(h, s));
  const latest = samples[samples.length - 1];
  const previous = input.memory;
  let memory: PolicyMemory = {
    ...previous,
    lastSampleTs: state.ts,
    // Health for take-back: calm with no shedding in force (a calm sample while shedding only
    // shows the admitted part of the load).
    healthySamples: latest.calm && previous.shedding === null ? previous.healthySamples + 1 : 0,
    shedding: previous.shedding && { ...previous.shedding, samples: previous.shedding.samples + 1 },
  };
  const actions: Action[] = [];
  const seen: RuleInput = { samples, latest, state, settings: s, handOff: input.handOff, now, entry: memory };
  for (const rule of POLICY_RULES) {
    const outcome = rule.decide(seen, memory);
    if (!outcome) continue;
    if (outcome.action) actions.push(outcome.action);
    memory = outcome.memory;
  }
  return { actions, memory };
}
