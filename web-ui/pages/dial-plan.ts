import { api } from '../api.ts';
import { h, table } from '../dom.ts';
import type { DialPlan } from '../types.ts';
import { actionButton, notify } from '../ui.ts';
import { addInboundForm, emergencyForm, originBadge, routeForm } from './outside-line-forms.ts';

/** How an inbound entry's `did` reads to an admin. */
function didText(i: DialPlan['inbound'][number]): string {
  return i.match === 'any' ? 'any number (*)' : i.match === 'pattern' ? `pattern ${i.did}` : i.did;
}

/**
 * The dial plan as it runs (`GET /api/dial-plan`): outbound routes in the order they are
 * tried, inbound numbers, emergency numbers. Entries from the configuration file are fixed
 * ("from config"); those added here can be removed, and new ones added (the API checks each
 * as the configuration file's are checked, and the error shows at its field).
 */
export function dialPlanSection(plan: DialPlan, reload: () => void): HTMLElement {
  const trunks = plan.trunks;
  const routeEditor = h('div', {}, trunks.length ? routeForm(trunks, reload) : h('p', { class: 'hint' }, 'Add a trunk first: routes and inbound numbers name one.'));
  const remove = (what: string, path: string) => actionButton('Remove', async () => {
    if (!confirm(`Remove ${what}?`)) return;
    await api('DELETE', path);
    notify(`${what} removed`);
    reload();
  }, { class: 'danger', 'aria-label': `Remove ${what}` });
  return h('section', { 'aria-label': 'Dial plan' },
    h('h2', {}, 'Dial plan'),
    h('p', { class: 'hint' },
      'Entries marked "from config" are set in the configuration file ([[routes]], [[inbound]], [emergency]; docs/TRUNKS.md) and are changed there. ',
      'Entries added here live in the appliance\'s store; names are unique across both, and routes added here are tried after the configuration file\'s.'),
    plan.skipped.length ? h('p', { class: 'form-error', role: 'alert' }, `Left out: ${plan.skipped.map((s) => `${s.kind} ${s.name ?? `#${s.id}`} (${s.reason})`).join('; ')}`) : null,
    table('Outbound routes, first match wins', ['#', 'Route', 'Dialled pattern', 'Provider receives', 'Trunk', 'Class', 'Fail-over', 'From', ''],
      plan.routes.map((r, i) => [String(i + 1), r.name, h('code', {}, r.pattern), h('code', {}, r.replace), r.trunk, r.class, r.failover.join(', '), originBadge(r.origin),
        r.origin === 'store' ? h('span', { class: 'row-actions' },
          h('button', { type: 'button', onclick: () => routeEditor.replaceChildren(routeForm(trunks, reload, r)), 'aria-label': `Edit route ${r.name}` }, 'Edit'),
          remove(`route ${r.name}`, `/api/dial-plan/routes/${encodeURIComponent(r.name)}`)) : '']),
      'no outbound routes: numbers that are not extensions get 404'),
    routeEditor,
    table('Inbound numbers', ['Number', 'Trunk', 'Rings', 'From', ''],
      plan.inbound.map((i) => [didText(i), i.trunk, i.to, originBadge(i.origin), i.origin === 'store' && i.id !== undefined ? remove(`inbound number ${i.did}`, `/api/dial-plan/inbound/${i.id}`) : '']),
      'no inbound numbers: calls from a provider get 404'),
    trunks.length ? addInboundForm(trunks, reload) : null,
    table('Emergency numbers (always routed out, never refused)', ['Number', 'Trunk'],
      plan.emergency.numbers.map((n) => [n, plan.emergency.trunk ?? 'no trunk yet'])),
    !plan.emergency.fixed && trunks.length ? emergencyForm(trunks, plan.emergency.trunk, reload) : null);
}
