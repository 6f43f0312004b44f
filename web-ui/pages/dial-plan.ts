import { h, table } from '../dom.ts';
import type { DialPlan } from '../types.ts';

/** How an inbound entry's `did` reads to an admin. */
function didText(i: DialPlan['inbound'][number]): string {
  return i.match === 'any' ? 'any number (*)' : i.match === 'pattern' ? `pattern ${i.did}` : i.did;
}

/**
 * The dial plan as configured (`GET /api/dial-plan`), read-only: outbound routes in the order
 * they are tried, inbound numbers, emergency numbers. Edited in the configuration file only.
 */
export function dialPlanSection(plan: DialPlan): HTMLElement {
  return h('section', { 'aria-label': 'Dial plan' },
    h('h2', {}, 'Dial plan'),
    h('p', { class: 'hint' },
      'Read-only here: trunks, routes, inbound and emergency numbers are set in the configuration file ([[trunks]], [[routes]], [[inbound]], [emergency]; see docs/TRUNKS.md). ',
      'The appliance checks them all at start (every pattern compiles, every route and number names a configured trunk), ',
      'so a mistake stops it with a message naming the key instead of failing calls later.'),
    table('Outbound routes, first match wins', ['#', 'Route', 'Dialled pattern', 'Provider receives', 'Trunk', 'Class', 'Fail-over'],
      plan.routes.map((r, i) => [String(i + 1), r.name, h('code', {}, r.pattern), h('code', {}, r.replace), r.trunk, r.class, r.failover.join(', ')]),
      'no outbound routes: numbers that are not extensions get 404'),
    table('Inbound numbers', ['Number', 'Trunk', 'Extension'],
      plan.inbound.map((i) => [didText(i), i.trunk, i.to]), 'no inbound numbers: calls from a provider get 404'),
    table('Emergency numbers (always routed out, never refused)', ['Number', 'Trunk'],
      plan.emergency.numbers.map((n) => [n, plan.emergency.trunk ?? 'no trunk configured'])));
}
