import type { HandOffStatus } from '../../peers/hand-off.ts';
import type { OperatingState } from '../operating-state.ts';
import type { Action } from './actions.ts';
import { recent, type Assessment } from './assess.ts';
import { decideHandOff } from './hand-off.ts';
import type { PolicyMemory } from './memory.ts';
import { decideScaleIn, hotWindow, roomToScaleOut, scaleOut, settled } from './scaling.ts';
import type { PolicySettings } from './settings.ts';
import { startShedding, stepShedding } from './shedding.ts';

/** What every rule sees: this sample's assessments, the settings, the time, the hand-off's owner. */
export interface RuleInput {
  /** Every sample of the history, assessed (oldest first); the last is this one. */
  readonly samples: readonly Assessment[];
  readonly latest: Assessment;
  readonly state: OperatingState;
  readonly settings: PolicySettings;
  readonly handOff: HandOffStatus;
  readonly now: number;
  /** The memory as this sample found it (before any rule ran): which step of the ladder we are on. */
  readonly entry: PolicyMemory;
}

/** A rule's decision: the action to apply (if any) and the memory the next rules and samples see. */
export interface RuleOutcome {
  readonly action?: Action;
  readonly memory: PolicyMemory;
}

/**
 * One rule of the overload policy: given the memory the rules before it left, it returns its
 * decision or null when it has nothing to say. Rules are pure, like the pipeline's stages.
 */
export interface PolicyRule {
  readonly name: string;
  decide(input: RuleInput, memory: PolicyMemory): RuleOutcome | null;
}

/** The last scaling action has settled (no worker starting, cool-down over). */
const ready = (i: RuleInput, m: PolicyMemory) => settled(i.latest, m, i.settings.scaleOutCooldownSeconds, i.now);

/**
 * Not shedding and overloaded in K of W samples: once the last action settled, a worker if one
 * would help (a free slot, plain CPU share overload), else every worker is saturated and shedding begins.
 */
export const scaleOutOrShed: PolicyRule = {
  name: 'scale-out-or-shed',
  decide(i, m) {
    if (i.entry.shedding !== null) return null;
    const hot = hotWindow(i.samples, i.settings, m);
    if (hot.matching.length < i.settings.scaleOutSamples || !ready(i, m)) return null;
    if (roomToScaleOut(hot.matching, i.latest, i.settings)) {
      return { action: scaleOut(i.latest, hot.matching.length, hot.window, i.settings, `overloaded (${i.latest.overload ?? 'cpu-share'})`), memory: { ...m, lastScaleAt: i.now } };
    }
    const started = startShedding(hot, i.latest, i.settings, i.now);
    return { action: started.action, memory: { ...m, shedding: started.shedding } };
  },
};

/** Not shedding and not overloaded: retire a worker after sustained low load. */
export const scaleIn: PolicyRule = {
  name: 'scale-in',
  decide(i, m) {
    if (i.entry.shedding !== null || hotWindow(i.samples, i.settings, m).matching.length >= i.settings.scaleOutSamples) return null;
    const action = decideScaleIn(i.samples, i.state, i.settings, m, i.now);
    return action ? { action, memory: { ...m, lastScaleAt: i.now } } : null;
  },
};

/** Shedding in force: tighten, relax, stop or hold. */
export const stepInShedding: PolicyRule = {
  name: 'step-shedding',
  decide(i, m) {
    if (i.entry.shedding === null || m.shedding === null) return null;
    const step = stepShedding(i.samples, i.settings, { ...m, shedding: m.shedding }, i.now);
    return { ...(step.action ? { action: step.action } : {}), memory: { ...m, shedding: step.shedding } };
  },
};

/**
 * Shedding still in force and requests refused while a worker slot is free (a worker exited,
 * or the temperature has come down): a worker adds capacity, and the per-worker rates admit more.
 */
export const scaleOutWhileShedding: PolicyRule = {
  name: 'scale-out-while-shedding',
  decide(i, m) {
    if (i.entry.shedding === null || m.shedding === null || !ready(i, m)) return null;
    const refusing = recent(i.samples, i.settings.scaleOutWindow, m.lastScaleAt, (a) => a.shed > 0);
    if (refusing.matching.length < i.settings.scaleOutSamples || !roomToScaleOut(refusing.matching, i.latest, i.settings)) return null;
    const action = scaleOut(i.latest, refusing.matching.length, refusing.window, i.settings, 'shedding with a worker slot free: requests refused');
    return { action, memory: { ...m, lastScaleAt: i.now } };
  },
};

/** Hand new traffic to a peer after long shedding; take it back after sustained health. */
export const handOffOrTakeBack: PolicyRule = {
  name: 'hand-off-or-take-back',
  decide(i, m) {
    const action = decideHandOff(i.latest, i.settings, m, i.handOff, i.now);
    return action ? { action, memory: m } : null;
  },
};

/**
 * The overload ladder as an ordered list (DESIGN.md "Overload ladder"): each rule sees the
 * memory the ones before it left. A new rule is a `PolicyRule` in its place here.
 */
export const POLICY_RULES: readonly PolicyRule[] = [scaleOutOrShed, scaleIn, stepInShedding, scaleOutWhileShedding, handOffOrTakeBack];
