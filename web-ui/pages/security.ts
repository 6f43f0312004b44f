import { api } from '../api.ts';
import { fill, fmtDateTime, h, table } from '../dom.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';
import type { Ban } from '../types.ts';

/**
 * Security: the SIP sources banned for password guessing, forged requests or floods (issue 10),
 * each with its reason and a Lift button. Refreshed every 5 s while open.
 */
export const securityPage: Page = (root) => {
  const list = h('section', { id: 'bans', 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  root.replaceChildren(
    heading('Security'),
    h('p', { class: 'hint' }, 'Addresses banned after repeated failed SIP logins, forged in-dialog requests or request floods. ',
      'Nothing from a banned address is answered until its ban runs out or you lift it. Thresholds: [security] in the configuration.'),
    list,
  );
  const load = async () => {
    const bans = await api<Ban[]>('GET', '/api/bans');
    fill(list, table('Banned SIP sources', ['Address', 'Reason', 'Since', 'Until', ''], bans.map((b) => [
      h('code', {}, b.address), b.reason, fmtDateTime(b.since), fmtDateTime(b.until),
      actionButton('Lift', async () => {
        await api('POST', '/api/bans/lift', { address: b.address });
        notify(`ban of ${b.address} lifted`);
        await load();
      }, { 'aria-label': `Lift the ban of ${b.address}` }),
    ]), 'no address is banned'));
  };
  void load().catch((e) => notify(String((e as Error).message ?? e), 'error'));
  const timer = setInterval(() => void load().catch(() => {}), 5000);
  return () => clearInterval(timer);
};
