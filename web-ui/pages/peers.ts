import { api } from '../api.ts';
import { fill, fmtTime, h, table } from '../dom.ts';
import type { Peer, Worker } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';

interface PeersInfo { peers: Peer[]; workers: Worker[]; policy: Record<string, number | string[]> }

/** Peers and control: peer state, the policy settings (read-only), manual hand-off / take-back. */
export const peersPage: Page = (root) => {
  const peers = h('section', {});
  const policy = h('section', {});
  root.replaceChildren(heading('Peers and control'), peers, policy);
  const result = (r: { ok: boolean; message: string }) => notify(r.message, r.ok ? 'ok' : 'error');

  const load = async () => {
    const info = await api<PeersInfo>('GET', '/api/peers');
    const handedTo = info.peers.find((p) => p.role === 'handed-off');
    fill(peers, h('h2', {}, 'Peer appliances'),
      info.peers.length === 0
        ? h('p', { class: 'hint' }, 'No peer appliances configured ([[peers]] in the configuration file): this appliance carries all of its traffic itself, and there is nothing to hand off or take back.')
        : [table('Peers', ['Peer', 'URL', 'SIP', 'State', 'Role', 'Last heartbeat', ''], info.peers.map((p) => [
          p.name, p.url, p.sip, h('span', { class: `badge ${p.state}` }, p.state), p.role, p.lastHeartbeatAt ? fmtTime(p.lastHeartbeatAt) : 'never',
          p.role === 'handed-off' ? '' : actionButton('Hand off to this peer', async () => {
            if (!confirm(`Hand new traffic to ${p.name}?`)) return;
            result(await api('POST', `/api/peers/${encodeURIComponent(p.name)}/hand-off`));
            await load();
          }, { 'aria-label': `Hand off to ${p.name}` }),
        ])),
        // Taking back is offered only while the traffic is with a peer.
        handedTo ? h('div', { class: 'buttons' }, actionButton(`Take traffic back from ${handedTo.name}`, async () => {
          result(await api('POST', '/api/control/take-back'));
          await load();
        })) : null]);
    const rows = Object.entries(info.policy).map(([k, v]) => [k.replace(/([A-Z])/g, ' $1').toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]);
    fill(policy, h('h2', {}, 'Policy settings'), h('p', { class: 'hint' }, 'Read-only here: set them in the [control] table of the configuration file.'),
      table('Overload policy', ['Setting', 'Value'], rows));
  };
  void load().catch((err) => notify(err.message, 'error'));
};
