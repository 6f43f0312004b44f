import type { ExtensionCallClass, Store } from '../../system/store/index.ts';
import { classPermits, routeDialled } from '../trunks/dial-plan.ts';
import { loadOutsideLine } from '../trunks/outside-line.ts';

/**
 * Whether an extension may forward its calls to an outside number (issue 15 with issue 14's
 * toll-fraud policy): the number must be one the dial plan routes to a trunk now (the config's
 * and the admin's routes, `loadOutsideLine`), of a class the extension may call itself, and
 * not an emergency number (a forward to 911 would send every caller there). Returns the
 * reason it may not, or undefined. Checked when the forward is set and again at each call
 * (the route or the class may have changed since; call-plan.ts `outside`).
 */
export type OutsideForwardCheck = (extension: string, number: string) => string | undefined;

export function outsideForwardCheck(config: Parameters<typeof loadOutsideLine>[0], store: Store): OutsideForwardCheck {
  return (extension, number) => {
    const ext = store.extensions.get(extension);
    if (!ext) return `extension ${extension} does not exist`;
    const line = loadOutsideLine(config, store);
    const route = routeDialled(number, line.routes, line.emergency);
    if (!route) return 'no route of the dial plan takes it';
    if (route.class === 'emergency') return 'an emergency number cannot be a forward target';
    if (!classPermits(ext.callClass, route.class)) return `extension ${extension} may not call ${route.class} numbers`;
    return undefined;
  };
}

/**
 * Whether a ring group may have an outside number as a member (issue 15): the same rules as a
 * forward, with the group's own call class (a group is not an extension: it calls its outside
 * members as itself, with its class and limits, whoever called the group). Checked when the
 * member list or the class is set, and again at each call (TrunkRouting.refusal).
 */
export type OutsideMemberCheck = (callClass: ExtensionCallClass, number: string) => string | undefined;

export function outsideMemberCheck(config: Parameters<typeof loadOutsideLine>[0], store: Store): OutsideMemberCheck {
  return (callClass, number) => {
    const line = loadOutsideLine(config, store);
    const route = routeDialled(number, line.routes, line.emergency);
    if (!route) return 'no route of the dial plan takes it';
    if (route.class === 'emergency') return 'an emergency number cannot be a group member';
    if (!classPermits(callClass, route.class)) return `the group may not call ${route.class} numbers (its call class is ${callClass})`;
    return undefined;
  };
}
