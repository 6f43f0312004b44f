/**
 * Who a call to one of our numbers rings (issue 15): ring groups, call forwarding and
 * do-not-disturb as one pure decision over the store's view, before the location service
 * (RFC 3261 §16.5: the proxy may retarget a request to other AORs). What it can decide from
 * the state at the moment the INVITE arrives: forward always, do-not-disturb (486 or the
 * forward-on-busy target), unreachable as "no binding", a group's members without DND and
 * with a binding, a group without such members going to its fallback. Forwards that depend
 * on the phones' answers (busy, no answer, 408/480) and hunting need serial forking, which
 * is not built (docs/PBX.md).
 */
import type { CallFeatures, RingGroupRecord } from '../../../system/store/index.ts';

/** What the decision reads: the store and the location view. */
export interface CallPlanView {
  readonly isExtension: (number: string) => boolean;
  readonly group: (number: string) => RingGroupRecord | undefined;
  readonly features: (extension: string) => CallFeatures;
  /** True when the extension has at least one binding. */
  readonly reachable: (extension: string) => boolean;
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
}

/** The decision: ring these extensions at once, answer, or nothing special (ordinary location). */
export type CallPlan =
  | { readonly kind: 'direct' }
  | { readonly kind: 'ring'; readonly targets: readonly PlannedTarget[] }
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
  if (plan.kind === 'ring' && plan.targets.length === 1 && plan.targets[0].history.length === 1) return DIRECT;
  return plan;
}

function follow(chain: readonly Hop[], view: CallPlanView, maxHops: number): CallPlan {
  const here = chain[chain.length - 1];
  const last = chain.length - 1 >= maxHops;
  const next = (number: string, cause: number): CallPlan => {
    if (chain.some((h) => h.number === number)) return { kind: 'reply', status: 482, reason: 'Loop Detected' };
    return follow([...chain, { number, cause }], view, maxHops);
  };
  const group = view.group(here.number);
  if (group) {
    const targets = group.members
      .filter((m) => view.isExtension(m) && !view.features(m).dnd && view.reachable(m))
      .map((m) => ({ extension: m, history: [...chain, { number: m }] }));
    if (targets.length > 0) return { kind: 'ring', targets };
    if (group.fallback && !last) return next(group.fallback, 480);
    return { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
  }
  if (!view.isExtension(here.number)) {
    // The dialled number is the locator's business (E.164, unknown: 404); a forward target gone since: 404.
    return chain.length === 1 ? DIRECT : { kind: 'reply', status: 404, reason: 'Not Found' };
  }
  const f = view.features(here.number);
  if (!last) {
    if (f.forwardAlways) return next(f.forwardAlways, 302);
    if (f.dnd && f.forwardBusy) return next(f.forwardBusy, 486);
  }
  if (f.dnd) return { kind: 'reply', status: 486, reason: 'Busy Here' };
  if (!last && f.forwardUnreachable && !view.reachable(here.number)) return next(f.forwardUnreachable, 503);
  return { kind: 'ring', targets: [{ extension: here.number, history: chain }] };
}

/**
 * The History-Info header field (RFC 7044 §4) for a target reached through `history`: one
 * entry per step, each a child of the one before (index 1, 1.1, 1.1.1...), the new target
 * marked `mp` (mapped to another AOR, §4.2.3) with the RFC 4458 `cause` in its URI.
 * Undefined when nothing was retargeted.
 */
export function historyInfo(history: readonly Hop[], domain: string): string | undefined {
  if (history.length < 2) return undefined;
  let index = '1';
  return history.map((h, i) => {
    const parent = index;
    if (i > 0) index = `${index}.1`;
    const uri = `sip:${h.number}@${domain}${h.cause !== undefined ? `;cause=${h.cause}` : ''}`;
    return `<${uri}>;index=${index}${i > 0 ? `;mp=${parent}` : ''}`;
  }).join(', ');
}
