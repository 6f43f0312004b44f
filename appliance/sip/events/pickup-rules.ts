import type { RingGroupRecord } from '../../../system/store/index.ts';
import type { LampDialog } from './lamp-board.ts';

/** Feature codes of call pickup (docs/PBX.md "Call pickup"). */
export const PICKUP_CODES = {
  /** `**` + extension: that extension's ringing call. */
  directedPrefix: '**',
  /** The ringing call of anyone in the picker's pickup group. */
  group: '*8',
} as const;

/** What a dialled number asks: a directed pickup of `extension`, a group pickup, or nothing of ours. */
export function pickupCode(raw: string): { readonly kind: 'directed'; readonly extension: string } | { readonly kind: 'group' } | undefined {
  // Phones send `*` as it is or escaped (RFC 3261 §25.1: `%2A`).
  const dialled = raw.replace(/%2a/gi, '*');
  if (dialled === PICKUP_CODES.group) return { kind: 'group' };
  const m = /^\*\*(\d{1,10})$/.exec(dialled);
  return m ? { kind: 'directed', extension: m[1] } : undefined;
}

/**
 * The picker's pickup group: every member of every ring group the picker is in (the people who
 * answer the same calls), or `all` extensions when the picker is in no ring group (a small
 * office: anyone may take anyone's call).
 */
export function pickupGroupOf(picker: string, groups: readonly Pick<RingGroupRecord, 'members'>[]): readonly string[] | 'all' {
  const mine = groups.filter((g) => g.members.includes(picker));
  if (mine.length === 0) return 'all';
  return [...new Set(mine.flatMap((g) => g.members))];
}

/** A call ringing an extension that a pickup may take. */
export interface RingingCall {
  readonly extension: string;
  readonly dialog: LampDialog;
}

/**
 * The call a pickup takes (STYLE.md §5): among the calls ringing the candidates (recipient,
 * `trying` or `early`), not the picker's own and not one the picker makes, the one ringing
 * longest; undefined when none rings.
 */
export function choosePickup(picker: string, ringing: readonly RingingCall[]): RingingCall | undefined {
  const mineOut = new Set(ringing.filter((r) => r.extension === picker).map((r) => r.dialog.callId));
  const eligible = ringing.filter((r) => r.extension !== picker && r.dialog.direction === 'recipient'
    && (r.dialog.state === 'trying' || r.dialog.state === 'early') && !mineOut.has(r.dialog.callId));
  return eligible.sort((a, b) => a.dialog.since - b.dialog.since)[0];
}
