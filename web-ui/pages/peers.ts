import { api } from '../api.ts';
import { fill, fmtDateTime, fmtTime, h, table } from '../dom.ts';
import type { Peer, Worker } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';

/** This appliance's hand-off (`GET /api/peers` → handOff; peers/hand-off.ts). */
interface HandOffStatus { to: string | null; cause: string | null; since: number | null; pending: boolean; lastFailureAt: number | null; lastFailure: string | null }
interface PeersInfo { peers: Peer[]; handOff?: HandOffStatus; workers: Worker[]; policy: Record<string, number | string[]> }

/** This appliance's own state in plain words. */
function ownState(s: HandOffStatus | undefined): HTMLElement {
  const line = !s || !s.to
    ? h('p', {}, h('span', { class: 'badge up' }, 'normal'), ' This appliance carries its own traffic.')
    : h('p', {}, h('span', { class: 'badge draining' }, 'handed off'), ` New calls and registrations go to ${s.to}${s.since ? ` since ${fmtDateTime(s.since)}` : ''}${s.cause ? ` (${s.cause})` : ''}; calls already up stay here.`);
  return h('div', { class: 'card', id: 'own-state' }, h('h2', {}, 'This appliance'), line,
    s?.pending ? h('p', {}, 'A hand-off is being attempted now.') : null,
    s?.lastFailure ? h('p', { class: 'hint' }, `Last refused hand-off${s.lastFailureAt ? ` at ${fmtDateTime(s.lastFailureAt)}` : ''}: ${s.lastFailure}`) : null);
}

/** Peers and control: peer state, the policy settings (read-only), manual hand-off / take-back, reload of the configuration file. */
export const peersPage: Page = (root) => {
  const peers = h('section', {});
  const policy = h('section', {});
  root.replaceChildren(heading('Peers and control'), peers, policy);
  const result = (r: { ok: boolean; message: string }) => notify(r.message, r.ok ? 'ok' : 'error');

  const load = async () => {
    const info = await api<PeersInfo>('GET', '/api/peers');
    const handedTo = info.handOff?.to ?? info.peers.find((p) => p.role === 'handed-off')?.name;
    fill(peers, ownState(info.handOff), h('h2', {}, 'Peer appliances'),
      info.peers.length === 0
        ? h('p', { class: 'hint' }, 'No peer appliances configured ([[peers]] in the configuration file): this appliance carries all of its traffic itself, and there is nothing to hand off or take back.')
        : [table('Peers', ['Peer', 'URL', 'SIP', 'State', 'Role', 'Last heartbeat', ''], info.peers.map((p) => [
          p.name, p.url, p.sip, h('span', { class: `badge ${p.state}` }, p.state), p.role, p.lastHeartbeatAt ? fmtTime(p.lastHeartbeatAt) : 'never',
          p.name === handedTo ? '' : actionButton('Hand off to this peer', async () => {
            if (!confirm(`Hand new traffic to ${p.name}?`)) return;
            result(await api('POST', `/api/peers/${encodeURIComponent(p.name)}/hand-off`));
            await load();
          }, { 'aria-label': `Hand off to ${p.name}` }),
        ])),
        // Taking back is offered only while the traffic is with a peer.
        handedTo ? h('div', { class: 'buttons' }, actionButton(`Take traffic back from ${handedTo}`, async () => {
          result(await api('POST', '/api/control/take-back'));
          await load();
        })) : null]);
    const rows = Object.entries(info.policy).map(([k, v]) => [k.replace(/([A-Z])/g, ' $1').toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]);
    fill(policy, h('h2', {}, 'Policy settings'), h('p', { class: 'hint' }, 'Read-only here: set them in the [control] table of the configuration file, then reload it.'),
      table('Overload policy', ['Setting', 'Value'], rows),
      h('p', { class: 'hint' }, 'Reload re-reads the configuration file without a restart: policy settings apply at once, SIP, DNS and trunk settings '
        + 'through new connection control sections (calls in progress go on), and an invalid file or a change that needs a restart is refused, naming the key.'),
      h('div', { class: 'buttons' }, actionButton('Reload the configuration file', async () => {
        // A refusal comes back as an API error (409) with the key at fault: shown by actionButton.
        notify((await api<{ message: string }>('POST', '/api/control/reload')).message);
        await load();
      })));
  };
  void load().catch((err) => notify(err.message, 'error'));
};
