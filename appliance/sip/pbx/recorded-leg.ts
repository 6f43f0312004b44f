import type { TrunkCall } from '../pipeline/context.ts';
import type { Target } from '../proxy/targets.ts';

/** The branch whose response makes a call record: its outside leg, and the call's trunk leg before any outside leg left. */
export interface AnsweringBranch {
  readonly before: TrunkCall | undefined;
  readonly outsideLeg: Target['outsideLeg'];
}

/**
 * The trunk leg a call's record names when a branch answers (issue 15): an outside forward or
 * outside group member that answered is the forwarding extension's or the group's outside
 * call (its limits count it from the record); an extension that answered (a ring-all group
 * whose outside member also rang) leaves the call as it came: the inbound trunk call, or an
 * inside call. `current`: the leg the request holds now (set when an outside leg left).
 */
export function recordedLeg(current: TrunkCall | undefined, answering: AnsweringBranch): TrunkCall | undefined {
  const o = answering.outsideLeg;
  if (o) return { trunk: o.trunk, direction: 'outbound', routedTo: o.routedTo, forwardedBy: o.forwardedBy };
  // An outside leg left in this call, but a phone of ours answered: the call as it came.
  if (current?.forwardedBy && current !== answering.before) return answering.before;
  return current;
}
