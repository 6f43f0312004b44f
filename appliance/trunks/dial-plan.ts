import type { EmergencyConfig } from '../../system/config/index.ts';
import { CALL_CLASSES, type CallClass, type InboundConfig, type RouteConfig } from '../../system/config/trunk-config.ts';

/** Where an outside call goes: the trunk, what the provider receives, and the call's class. */
export interface OutsideRoute {
  /** The `[[routes]]` entry, or "emergency". */
  readonly route: string;
  readonly trunk: string;
  /** Further trunks, in order, for 503, no answer or a trunk down (the route's `failover`); empty: none. */
  readonly failover: readonly string[];
  /** The number the provider receives (the route's `replace` applied). */
  readonly number: string;
  readonly class: CallClass | 'emergency';
}

/**
 * The dial plan for a number an extension dialled (issue 14; pure): an emergency number goes
 * to the emergency trunk whatever else is configured, else the first route whose pattern
 * matches gets it, with `replace` applied (JavaScript `$1` groups), else nothing (the call
 * is for an extension, or for nothing: the location stage answers). A number longer than 64
 * characters matches no route.
 */
export function routeDialled(dialled: string, routes: readonly RouteConfig[], emergency: EmergencyConfig): OutsideRoute | undefined {
  if (emergency.numbers.includes(dialled) && emergency.trunk) {
    return { route: 'emergency', trunk: emergency.trunk, failover: [], number: dialled, class: 'emergency' };
  }
  // Patterns are checked against backtracking (system/config/dial-pattern.ts); a bound on the input too.
  if (dialled.length > MAX_DIALLED) return undefined;
  for (const r of routes) {
    const re = stateless(r.regex);
    if (!re.test(dialled)) continue;
    return { route: r.name, trunk: r.trunk, failover: r.failover, number: dialled.replace(re, r.replace), class: r.class };
  }
  return undefined;
}

/** A dialled user part longer than this matches no route (no number is; it bounds each pattern's work). */
const MAX_DIALLED = 64;

/** Call classes an extension's class allows (issue 14 permissions): each includes the cheaper ones. */
const ORDER: readonly CallClass[] = CALL_CLASSES;

/** Whether an extension of class `allowed` may make a call of class `call`; emergency calls always. */
export function classPermits(allowed: CallClass, call: CallClass | 'emergency'): boolean {
  return call === 'emergency' || ORDER.indexOf(call) <= ORDER.indexOf(allowed);
}

/**
 * The extension a call from trunk `trunk` reaches (pure): the first `[[inbound]]` entry of that
 * trunk matching one of the numbers the call names (its To user, then its Request-URI user:
 * providers put the dialled number in either), or undefined (the caller gets 404).
 */
export function inboundTarget(trunk: string, numbers: readonly (string | undefined)[], inbound: readonly InboundConfig[]): string | undefined {
  for (const entry of inbound) {
    if (entry.trunk !== trunk) continue;
    for (const n of numbers) {
      if (!n) continue;
      const m = entry.match;
      if (m.kind === 'any' || (m.kind === 'number' && sameNumber(m.number, n)) || (m.kind === 'pattern' && stateless(m.regex).test(n))) {
        return entry.to;
      }
    }
  }
  return undefined;
}

/** The pattern as is, or without the flags that make `test` remember where it stopped (g, y). */
function stateless(re: RegExp): RegExp {
  return re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
}

/** +15551230100 and 15551230100 are the same number (providers differ in the +). */
function sameNumber(configured: string, called: string): boolean {
  return configured === called || configured.replace(/^\+/, '') === called.replace(/^\+/, '');
}
