import { api } from '../api.ts';
import { fill, fmtDuration, fmtTime, h, table } from '../dom.ts';
import type { DialPlan, Trunk } from '../types.ts';
import { heading, notify, type Page } from '../ui.ts';
import { dialPlanSection } from './dial-plan.ts';

/** How often the trunk states are fetched again (they change on the provider's answers). */
const POLL_MS = 3000;

/** The state column: the provider's reason next to a failure. */
function stateCell(t: Trunk): HTMLElement {
  return h('span', {}, h('span', { class: `badge ${t.state}` }, t.state), t.state === 'failed' && t.reason ? ` ${t.reason}` : '');
}

/** Expiry while up, next attempt while failed. */
function timingText(t: Trunk): string {
  if (t.state === 'up' && t.expiresAt !== null) return `expires in ${fmtDuration((t.expiresInSeconds ?? 0) * 1000)} (${fmtTime(t.expiresAt)})`;
  if (t.state === 'failed' && t.retryAt !== null) return `next attempt in ${fmtDuration(t.retryAt - Date.now())} (${fmtTime(t.retryAt)})`;
  if (t.state === 'static') return 'IP-authenticated: nothing to register';
  return '';
}

/**
 * Trunks (issue 14): each trunk's registration state, polled from `GET /api/trunks`, and the
 * dial plan as configured. Never a password: the API does not have one to give.
 */
export const trunksPage: Page = (root) => {
  const trunks = h('section', { 'aria-label': 'Trunk states', 'aria-live': 'polite' });
  const plan = h('section', {});
  root.replaceChildren(heading('Trunks'), trunks, plan);
  let timer: number | undefined;
  let stopped = false;

  const loadTrunks = async () => {
    try {
      const list = await api<Trunk[]>('GET', '/api/trunks');
      fill(trunks,
        table('Trunk registration', ['Trunk', 'State', 'Registrar', 'Account', 'Caller ID', 'Expiry / retry'], list.map((t) => [
          h('span', { class: 'nowrap' }, t.name), stateCell(t), `${t.registrar}${t.transport ? ` (${t.transport.toUpperCase()})` : ''}`,
          t.username ? `${t.username}@${t.domain ?? ''}` : '', t.callerId ?? '', timingText(t),
        ]), 'no trunks configured ([[trunks]] in the configuration file)'),
        h('p', { class: 'hint' }, `Refreshed every ${POLL_MS / 1000} s; last at ${fmtTime(Date.now())}.`));
    } catch (err) {
      fill(trunks, h('p', { class: 'form-error', role: 'alert' }, `Cannot read the trunk states: ${(err as Error).message}`));
    }
    if (!stopped) timer = window.setTimeout(() => void loadTrunks(), POLL_MS);
  };

  void loadTrunks();
  void api<DialPlan>('GET', '/api/dial-plan').then((p) => fill(plan, dialPlanSection(p))).catch((err) => notify(err.message, 'error'));
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
};
