/**
 * Feature codes (issue 15): what a phone dials to change its own forwarding and
 * do-not-disturb (`*72<number>`, `*73`, `*78`, `*79` by default, `[feature_codes]`).
 * Pure: the dialled Request-URI user in, the action out; the pipeline stage
 * (pipeline/stages/feature-codes.ts) applies it and answers.
 */
import type { FeatureCodesConfig } from '../../../system/config/index.ts';
import { PICKUP_CODES } from '../events/pickup-rules.ts';

/** What a dialled feature code asks for. */
export type FeatureAction =
  | { readonly kind: 'forward-always'; readonly target: string }
  | { readonly kind: 'forward-always-off' }
  | { readonly kind: 'dnd'; readonly on: boolean }
  /** The forward code without a number (RFC 3261 §21.4.22: 484 Address Incomplete). */
  | { readonly kind: 'incomplete' };

/** Phones send `*` as is or escaped (RFC 3261 §25.1 allows `%2A`); `#` must be escaped (`%23`). */
function unescape(user: string): string {
  return user.replace(/%2a/gi, '*').replace(/%23/g, '#');
}

/**
 * The feature code a dialled user part names, or undefined (an ordinary call). A forward target
 * is digits, optionally with a leading `+` (an outside number), at most 20 characters.
 */
export function featureCode(dialled: string, codes: FeatureCodesConfig): FeatureAction | undefined {
  const d = unescape(dialled);
  if (d === codes.forwardAlwaysOff) return { kind: 'forward-always-off' };
  if (d === codes.dndOn) return { kind: 'dnd', on: true };
  if (d === codes.dndOff) return { kind: 'dnd', on: false };
  if (!d.startsWith(codes.forwardAlwaysOn)) return undefined;
  const target = d.slice(codes.forwardAlwaysOn.length);
  if (target === '') return { kind: 'incomplete' };
  return /^\+?[0-9]{1,20}$/.test(target) ? { kind: 'forward-always', target } : undefined;
}

/** The feature codes as the UI and docs list them. */
export function featureCodeList(codes: FeatureCodesConfig): { readonly code: string; readonly action: string }[] {
  return [
    { code: `${codes.forwardAlwaysOn}<number>`, action: 'forward every call to <number> (an extension, a ring group, or an outside number the extension may call)' },
    { code: codes.forwardAlwaysOff, action: 'forward always off' },
    { code: codes.dndOn, action: 'do-not-disturb on (callers get 486 Busy Here, or the forward-on-busy target)' },
    { code: codes.dndOff, action: 'do-not-disturb off' },
    { code: `${PICKUP_CODES.directedPrefix}<extension>`, action: 'pick up the call ringing at <extension>' },
    { code: PICKUP_CODES.group, action: 'pick up a call ringing in the own pickup group (the members of the own ring groups, else anyone)' },
  ];
}
