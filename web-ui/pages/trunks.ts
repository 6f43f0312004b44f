import { api } from '../api.ts';
import { fill, fmtDuration, fmtTime, h, table } from '../dom.ts';
import type { DialPlan, Trunk } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';
import { dialPlanSection } from './dial-plan.ts';
import { addTrunkForm, editTrunkForm, originBadge } from './outside-line-forms.ts';

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
 * Trunks (issue 14): each trunk's registration state, polled from `GET /api/trunks`, where it
 * comes from (the configuration file's are fixed), adding, editing in place and removing the
 * others and setting their password; the dial plan below. Never a password shown: the API does not have one to give.
 */
export const trunksPage: Page = (root) => {
  const trunks = h('section', { 'aria-label': 'Trunk states', 'aria-live': 'polite' });
  const editor = h('section', { 'aria-label': 'Trunk editor' });
  const plan = h('section', {});
  root.replaceChildren(heading('Trunks'), trunks, editor, plan);
  const actions = (t: Trunk) => h('span', { class: 'row-actions' },
    t.origin === 'store' ? h('button', { type: 'button', onclick: () => {
      fill(editor, editTrunkForm(t, () => void refresh()));
      editor.querySelector<HTMLInputElement>('input[name="registrar"]')?.focus();
    }, 'aria-label': `Edit trunk ${t.name}` }, 'Edit') : null,
    t.origin === 'store' ? actionButton('Remove', async () => {
      if (!confirm(`Remove trunk ${t.name}? Its registration ends.`)) return;
      await api('DELETE', `/api/trunks/${encodeURIComponent(t.name)}`);
      notify(`Trunk ${t.name} removed`);
      await refresh();
    }, { class: 'danger', 'aria-label': `Remove trunk ${t.name}` }) : null);
  const showAdd = () => fill(editor, addTrunkForm(() => void refresh()));
  const loadPlan = async () => {
    try {
      fill(plan, dialPlanSection(await api<DialPlan>('GET', '/api/dial-plan'), () => void loadPlan()));
    } catch (err) {
      notify((err as Error).message, 'error');
    }
  };
  let timer: number | undefined;
  let stopped = false;

  const loadTrunks = async () => {
    try {
      const list = await api<Trunk[]>('GET', '/api/trunks');
      fill(trunks,
        table('Trunk registration', ['Trunk', 'State', 'Registrar', 'Account', 'Caller ID', 'Expiry / retry', 'From', 'Edited on', ''], list.map((t) => [
          h('span', { class: 'nowrap' }, t.name), stateCell(t), `${t.registrar}${t.transport ? ` (${t.transport.toUpperCase()})` : ''}`,
          // A break allowed after the @: one long account otherwise pushes the buttons off the page.
          t.username ? h('span', {}, `${t.username}@`, h('wbr'), t.domain ?? '') : '', t.callerId ?? '', timingText(t), originBadge(t.origin), t.editedOn ?? '', actions(t),
        ]), 'no trunks yet: add one below (or [[trunks]] in the configuration file)'),
        h('p', { class: 'hint' }, `Refreshed every ${POLL_MS / 1000} s; last at ${fmtTime(Date.now())}.`));
    } catch (err) {
      fill(trunks, h('p', { class: 'form-error', role: 'alert' }, `Cannot read the trunk states: ${(err as Error).message}`));
    }
    if (!stopped) timer = window.setTimeout(() => void loadTrunks(), POLL_MS);
  };
  /** After a change: states and plan read again (the poll goes on from here). */
  const refresh = async () => {
    window.clearTimeout(timer);
    await loadTrunks();
    showAdd();
    await loadPlan();
  };

  showAdd();
  void loadTrunks().then(loadPlan);
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
};
