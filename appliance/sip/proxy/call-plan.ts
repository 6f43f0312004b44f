/**
 * Who a call to one of our numbers rings (issue 15): ring groups, call forwarding and
 * do-not-disturb as pure decisions over the store's view, before the location service
 * (RFC 3261 §16.5: the proxy may retarget a request to other AORs). `planCall` decides from
 * the state when the INVITE arrives (forward always, do-not-disturb: 486 or the
 * forward-on-busy target, unreachable as "no binding", a group's members without DND and
 * with a binding, a fallback); the plan's `then` says what follows the targets' answers
 * (serial forking, RFC 3261 §16.7: hunt to the next member, forward on busy / no answer /
 * 408-480, a group's fallback after its timeout), decided by `nextAfter` when they ended.
 */
import type { CallFeatures, RingGroupRecord } from '../../../system/store/index.ts';
import { statusFor } from '../../../system/errors/index.ts';

/** What the decision reads: the store and the location view. */
export interface CallPlanView {
  readonly isExtension: (number: string) => boolean;
  readonly group: (number: string) => RingGroupRecord | undefined;
  readonly features: (extension: string) => CallFeatures;
  /** True when the extension has at least one binding. */
  readonly reachable: (extension: string) => boolean;
  /**
   * The voicemail server (`[voicemail]`, or the extension's own `voicemailUri`): an extension's
   * calls that nobody answers or that are busy go there when it sets no forward of that kind
   * itself. Undefined: no voicemail.
   */
  readonly voicemail?: VoicemailPolicy;
  /**
   * True when `number` is an outside number the dial plan routes to a trunk (not an emergency
   * number): a forward or a group member may go there (the permissions of the forwarding
   * extension, or of the group, are checked when it is rung, planned-locator.ts). Absent:
   * outside numbers are neither followed nor rung as members.
   */
  readonly outside?: (number: string) => boolean;
}

/** When an extension's calls go to voicemail (`[voicemail]` on_busy, on_no_answer, no_answer_seconds). */
export interface VoicemailPolicy {
  readonly onBusy: boolean;
  /** Also an extension without a binding (unreachable) or whose phones all answered 408/480. */
  readonly onNoAnswer: boolean;
  readonly noAnswerSeconds: number;
  /**
   * The office has no server of its own (`[voicemail] uri` unset): only extensions with their
   * own `voicemailUri` go to voicemail.
   */
  readonly ownOnly?: boolean;
}

/**
 * The voicemail server as a hop of the chain (not digits, so never an extension or a group);
 * its mailbox is the number before it (voicemailMailbox).
 */
export const VOICEMAIL = 'voicemail';

/** The extension whose mailbox a voicemail target's history names: the hop before the voicemail. */
export function voicemailMailbox(history: readonly Hop[]): string {
  return history[history.length - 2]?.number ?? history[0].number;
}

/** One retargeting step: the number rung, and the RFC 4458 cause that led there (none for the first). */
export interface Hop {
  readonly number: string;
  /** 302 unconditional, 486 busy (DND), 480 group without answerable member, 503 not reachable; undefined: a group member. */
  readonly cause?: number;
}

/** An extension to ring, with the retargeting steps that led to it (first: the dialled number). */
export interface PlannedTarget {
  readonly extension: string;
  readonly history: readonly Hop[];
  /**
   * An outside number (`extension` is the number dialled out): the extension whose forward it
   * is, or the ring group whose member it is, whose permissions (and caller ID) apply.
   */
  readonly forwardedBy?: string;
}

/**
 * What follows the targets being rung (serial forking), decided by {@link nextAfter}:
 * an extension's forwards on its phones' answers, a hunt group's next member, a group's
 * fallback once its time is over. `ringMs`: how long the targets ring before that.
 */
export type Then =
  | {
    readonly kind: 'forwards'; readonly ringMs?: number; readonly chain: readonly Hop[];
    readonly busy: string | null; readonly noAnswer: string | null; readonly unreachable: string | null;
  }
  | {
    readonly kind: 'group'; readonly ringMs: number; readonly chain: readonly Hop[];
    /** Hunt: members still to ring, in order; ring-all: none. */
    readonly rest: readonly string[]; readonly memberMs: number;
    /** ms left of the group's overall time after this step. */
    readonly leftMs: number; readonly fallback: string | null;
  };

/** The decision: ring these extensions at once (then maybe more), answer, or nothing special (ordinary location). */
export type CallPlan =
  | { readonly kind: 'direct' }
  | { readonly kind: 'ring'; readonly targets: readonly PlannedTarget[]; readonly then?: Then }
  | { readonly kind: 'reply'; readonly status: number; readonly reason: string };

/** The longest forward chain (issue 15): beyond it the last target rings as it is. */
export const MAX_FORWARD_HOPS = 5;

const DIRECT: CallPlan = { kind: 'direct' };

/**
 * Plans a call to `number`. A chain that comes back to a number already on it stops with
 * 482 Loop Detected (RFC 3261 §16.3 step 4 in spirit: the same request would return to us);
 * after {@link MAX_FORWARD_HOPS} forwards the target reached rings without its own forwards.
 */
export function planCall(number: string, view: CallPlanView, maxHops = MAX_FORWARD_HOPS): CallPlan {
  const plan = follow([{ number }], view, maxHops);
  // Nothing changed: the ordinary location service answers (404/480 as before).
  if (plan.kind === 'ring' && !plan.then && plan.targets.length === 1 && plan.targets[0].history.length === 1) return DIRECT;
  return plan;
}

/** How the rung targets ended (proxy/fork.ts ForkOutcome). */
export interface Outcome {
  readonly statuses: readonly number[];
  /** Cancelled by us because the ring time was over. */
  readonly rangOut: boolean;
}

const BUSY = new Set([486, 600]);
const UNREACHABLE = new Set([408, 480]);

/**
 * What to ring after the targets of a plan ended without an answer (RFC 3261 §16.7 serial
 * forking); undefined: nothing, the best response goes upstream. No answer in the ring time
 * → the no-answer forward (cause 408, RFC 4458); 486/600 from every phone → the busy forward;
 * 408/480 from every phone → the unreachable forward; a hunt → its next member while time
 * is left; a group done → its fallback (cause 480). Loop-safe and hop-bounded as `planCall`.
 */
export function nextAfter(then: Then, outcome: Outcome, view: CallPlanView, maxHops = MAX_FORWARD_HOPS): CallPlan | undefined {
  const { chain } = then;
  const onChain = (n: string) => chain.some((h) => h.number === n);
  const go = (number: string | null, cause: number): CallPlan | undefined => {
    if (!number || chain.length - 1 >= maxHops) return undefined;
    if (number !== VOICEMAIL && onChain(number)) return { kind: 'reply', status: statusFor('loop-detected').sip, reason: 'Loop Detected' };
    return follow([...chain, { number, cause }], view, maxHops);
  };
  if (outcome.statuses.some((s) => s < 300)) return undefined;
  if (then.kind === 'forwards') {
    if (outcome.rangOut) return go(then.noAnswer, 408);
    if (outcome.statuses.every((s) => BUSY.has(s))) return go(then.busy, 486);
    if (outcome.statuses.every((s) => UNREACHABLE.has(s))) return go(then.unreachable, 503);
    return undefined;
  }
  if (then.leftMs > 0) {
    const members = then.rest.filter((m) => ringable(m, view));
    if (members.length > 0) return huntStep(chain, members, then.memberMs, then.leftMs, then.fallback, view);
  }
  return go(then.fallback, 480);
}

/**
 * Whether a group member rings now: an extension without DND and with a binding, or an outside
 * number the dial plan routes (the group's permissions are checked when it is rung).
 */
function ringable(member: string, view: CallPlanView): boolean {
  if (view.isExtension(member)) return !view.features(member).dnd && view.reachable(member);
  return view.outside?.(member) ?? false;
}

/** A member of the group ending `chain` as a target: an outside member is called as the group. */
function memberTarget(member: string, chain: readonly Hop[], view: CallPlanView): PlannedTarget {
  const history = [...chain, { number: member }];
  return view.isExtension(member) ? { extension: member, history } : { extension: member, history, forwardedBy: chain[chain.length - 1].number };
}

/** A hunt step: the first of `members` rings for its time (or what is left of the group's). */
function huntStep(chain: readonly Hop[], members: readonly string[], memberMs: number, leftMs: number, fallback: string | null, view: CallPlanView): CallPlan {
  const ringMs = Math.min(memberMs, leftMs);
  return {
    kind: 'ring', targets: [memberTarget(members[0], chain, view)],
    then: { kind: 'group', ringMs, chain, rest: members.slice(1), memberMs, leftMs: leftMs - ringMs, fallback },
  };
}

function follow(chain: readonly Hop[], view: CallPlanView, maxHops: number): CallPlan {
  const here = chain[chain.length - 1];
  if (here.number === VOICEMAIL) return { kind: 'ring', targets: [{ extension: VOICEMAIL, history: chain }] };
  const last = chain.length - 1 >= maxHops;
  const next = (number: string, cause: number): CallPlan => {
    if (chain.some((h) => h.number === number)) return { kind: 'reply', status: statusFor('loop-detected').sip, reason: 'Loop Detected' };
    return follow([...chain, { number, cause }], view, maxHops);
  };
  const group = view.group(here.number);
  if (group) {
    const members = group.members.filter((m) => ringable(m, view));
    const fallback = last ? null : group.fallback;
    if (members.length > 0 && group.strategy === 'hunt') return huntStep(chain, members, group.ringSeconds * 1000, group.timeoutSeconds * 1000, fallback, view);
    const targets = members.map((m) => memberTarget(m, chain, view));
    if (targets.length > 0) {
      return { kind: 'ring', targets, then: { kind: 'group', ringMs: group.timeoutSeconds * 1000, chain, rest: [], memberMs: 0, leftMs: 0, fallback } };
    }
    if (group.fallback && !last) return next(group.fallback, 480);
    return { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
  }
  if (!view.isExtension(here.number)) {
    // The dialled number is the locator's business (E.164, unknown: 404).
    if (chain.length === 1) return DIRECT;
    // A forward to an outside number (issue 15 part 4): rung through the dial plan as the forwarding extension.
    const by = chain[chain.length - 2].number;
    if (view.outside?.(here.number) && view.isExtension(by)) return { kind: 'ring', targets: [{ extension: here.number, history: chain, forwardedBy: by }] };
    // A forward target gone since: 404.
    return { kind: 'reply', status: 404, reason: 'Not Found' };
  }
  const f = withVoicemail(view.features(here.number), view.voicemail);
  if (!last) {
    if (f.forwardAlways) return next(f.forwardAlways, 302);
    if (f.dnd && f.forwardBusy) return next(f.forwardBusy, 486);
  }
  if (f.dnd) return { kind: 'reply', status: 486, reason: 'Busy Here' };
  if (!last && f.forwardUnreachable && !view.reachable(here.number)) return next(f.forwardUnreachable, 503);
  const ring = { kind: 'ring', targets: [{ extension: here.number, history: chain }] } as const;
  if (last || (!f.forwardBusy && !f.forwardNoAnswer && !f.forwardUnreachable)) return ring;
  return {
    ...ring,
    then: {
      kind: 'forwards', chain, busy: f.forwardBusy, noAnswer: f.forwardNoAnswer, unreachable: f.forwardUnreachable,
      ...(f.forwardNoAnswer ? { ringMs: f.noAnswerSeconds * 1000 } : {}),
    },
  };
}

/** An extension's own forwards, with the voicemail server (the office's or its own) where it sets none of that kind. */
function withVoicemail(f: CallFeatures, vm: VoicemailPolicy | undefined): CallFeatures {
  if (!vm || (vm.ownOnly && !f.voicemailUri)) return f;
  const noAnswer = f.forwardNoAnswer ?? (vm.onNoAnswer ? VOICEMAIL : null);
  return {
    ...f,
    forwardBusy: f.forwardBusy ?? (vm.onBusy ? VOICEMAIL : null),
    forwardNoAnswer: noAnswer,
    noAnswerSeconds: f.forwardNoAnswer ? f.noAnswerSeconds : vm.noAnswerSeconds,
    forwardUnreachable: f.forwardUnreachable ?? (vm.onNoAnswer ? VOICEMAIL : null),
  };
}

/**
 * The History-Info header field (RFC 7044 §4) for a target reached through `history`: one
 * entry per step, each a child of the one before (index 1, 1.1, 1.1.1...), the new target
 * marked `mp` (mapped to another AOR, §4.2.3) with the RFC 4458 `cause` in its URI.
 * Undefined when nothing was retargeted.
 */
export function historyInfo(history: readonly Hop[], domain: string, voicemailUri?: string): string | undefined {
  if (history.length < 2) return undefined;
  let index = '1';
  return history.map((h, i) => {
    const parent = index;
    if (i > 0) index = `${index}.1`;
    const base = h.number === VOICEMAIL && voicemailUri ? voicemailUri : `sip:${h.number}@${domain}`;
    const uri = `${base}${h.cause !== undefined ? `;cause=${h.cause}` : ''}`;
    return `<${uri}>;index=${index}${i > 0 ? `;mp=${parent}` : ''}`;
  }).join(', ');
}
