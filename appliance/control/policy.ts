import type { HandOffStatus } from '../peers/hand-off.ts';
import type { OperatingState } from './operating-state.ts';
import type { PolicySettings } from './policy-settings.ts';
import type { Action } from './policy/actions.ts';
import { assess, recent } from './policy/assess.ts';
import { decideHandOff } from './policy/hand-off.ts';
import type { PolicyMemory } from './policy/memory.ts';
import { decideScaleIn, hotWindow, roomToScaleOut, scaleOut, settled } from './policy/scaling.ts';
import { startShedding, stepShedding } from './policy/shedding.ts';

export type { Action, Evidence, HandOff, ScaleIn, ScaleOut, Shed, StopShedding, TakeBack } from './policy/actions.ts';
export type { Assessment, OverloadCause } from './policy/assess.ts';
export { initialPolicyMemory, type PolicyMemory, type SheddingMemory } from './policy/memory.ts';
export { defaultPolicySettings, type PolicySettings } from './policy-settings.ts';

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
 * Utilisation is the mean ELU of the running workers (starting and draining ones take no new
 * work, so they are not capacity); host CPU with busy workers and a critical CPU temperature are
 * overload too, but only ELU overload is cured by another worker.
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
  const ready = settled(latest, memory, s.scaleOutCooldownSeconds, now);

  if (memory.shedding === null) {
    const hot = hotWindow(samples, s, memory);
    if (hot.matching.length >= s.scaleOutSamples) {
      // Overloaded: wait for the last action to settle, then add a worker if one would help,
      // else every worker is saturated and shedding begins.
      if (!ready) {
        // Nothing yet: a worker is starting or the cool-down runs.
      } else if (roomToScaleOut(hot.matching, latest, s)) {
        actions.push(scaleOut(latest, hot.matching.length, hot.window, s, `overloaded (${latest.overload ?? 'elu'})`));
        memory = { ...memory, lastScaleAt: now };
      } else {
        const started = startShedding(hot, latest, s, now);
        actions.push(started.action);
        memory = { ...memory, shedding: started.shedding };
      }
    } else {
      const scaleIn = decideScaleIn(samples, state, s, memory, now);
      if (scaleIn) {
        actions.push(scaleIn);
        memory = { ...memory, lastScaleAt: now };
      }
    }
  } else {
    const step = stepShedding(samples, s, { ...memory, shedding: memory.shedding }, now);
    if (step.action) actions.push(step.action);
    memory = { ...memory, shedding: step.shedding };
    // Requests refused while a worker slot is free (a worker exited, or the temperature has
    // come down): a worker adds capacity, and the per-worker rates admit more with it.
    const refusing = recent(samples, s.scaleOutWindow, memory.lastScaleAt, (a) => a.shed > 0);
    if (memory.shedding && ready && refusing.matching.length >= s.scaleOutSamples && roomToScaleOut(refusing.matching, latest, s)) {
      actions.push(scaleOut(latest, refusing.matching.length, refusing.window, s, 'shedding with a worker slot free: requests refused'));
      memory = { ...memory, lastScaleAt: now };
    }
  }

  const handOff = decideHandOff(latest, s, memory, input.handOff, now);
  if (handOff) actions.push(handOff);
  return { actions, memory };
}
