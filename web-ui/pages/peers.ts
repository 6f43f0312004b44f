import { api } from '../api.ts';
import { fill, fmtDateTime, fmtTime, h, table } from '../dom.ts';
import { ownState, policySummary } from '../policy-words.ts';
import type { PeersView } from '../../appliance/web/api/control-api.ts';
import type { HandOffReply, Peer, ReloadReply, Sample, SituationReply, Worker } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';
import { policySettingsTable } from './policy-settings.ts';

/** `GET /api/peers`: the API's own type. */
type PeersInfo = PeersView;

/** A peer's clock against ours (issue 19): in step, or off by more than 2 s (last writer wins per row is judged by the clocks: run NTP). */
function clockCell(p: Peer): HTMLElement | string {
  const c = p.clock;
  if (!c) return '—';
  const text = `${c.offsetMs >= 0 ? '+' : '−'}${(Math.abs(c.offsetMs) / 1000).toFixed(1)} s`;
  return c.skewed
    ? h('span', { class: 'badge failed', title: 'This peer\'s clock differs from ours by more than 2 s: the later of two edits of one row may lose. Run NTP on every member.' }, `${text}: off`)
    : h('span', { title: `± ${c.uncertaintyMs} ms` }, text);
}

/** The situation switch (issue 19): evacuate this box, with a reason, until switched off; and the schedule window open now. */
function situationCard(info: PeersInfo, reload: () => Promise<void>): HTMLElement | null {
  if (info.peers.length === 0) return null;
  const m = info.moves;
  const sit = m?.situation ?? null;
  const win = m?.window ?? null;
  const reason = h('input', { name: 'situation-reason', maxlength: '200', placeholder: 'e.g. UPS on battery, building work', 'aria-label': 'Reason to evacuate' });
  return h('div', { class: 'card', id: 'situation', 'data-on': sit ? 'true' : 'false' }, h('h2', {}, 'Evacuate this box'),
    sit
      ? h('p', {}, h('span', { class: 'badge draining' }, 'evacuating'), ` since ${fmtDateTime(sit.since)} (${sit.by}): ${sit.reason}. New calls and registrations go to a peer until you switch this off.`)
      : h('p', { class: 'hint' }, 'Switch on to hand all new traffic to a peer (calls in progress stay here) until you switch it off: before maintenance, on battery power, a fault in the room.'),
    win ? h('p', {}, `Scheduled hand-off window ${win.entry} open until ${fmtDateTime(win.end)}${win.peer ? ` (to ${win.peer})` : ''}${win.dismissed ? ': taken back by an admin' : ''}.`) : null,
    sit
      ? h('div', { class: 'buttons' }, actionButton('Stop evacuating', async () => {
        notify((await api<SituationReply>('POST', '/api/peers/situation', { on: false })).message);
        await reload();
      }))
      : h('div', { class: 'buttons' }, reason, actionButton('Evacuate this box', async () => {
        if (!reason.value.trim()) return notify('Give a reason: it goes into the event log.', 'error');
        notify((await api<SituationReply>('POST', '/api/peers/situation', { on: true, reason: reason.value })).message);
        await reload();
      })));
}

const BADGE = { normal: 'up', shedding: 'draining', 'handed-off': 'draining' } as const;

/** This appliance's own state in plain words: normal, shedding since ..., handed off to B since ... and why. */
function ownStateCard(info: PeersInfo): HTMLElement {
  const st = ownState(info.handOff, info.shedding, fmtDateTime);
  const s = info.handOff;
  return h('div', { class: 'card', id: 'own-state', 'data-state': st.state }, h('h2', {}, 'This appliance'),
    h('p', { class: 'own-state' }, h('span', { class: `badge ${BADGE[st.state]}` }, st.state === 'handed-off' ? 'handed off' : st.state), ' ', h('strong', {}, st.headline)),
    h('p', {}, st.detail),
    s?.pending ? h('p', {}, 'A hand-off is being attempted now.') : null,
    s?.lastFailure ? h('p', { class: 'hint' }, `Last refused hand-off${s.lastFailureAt ? ` at ${fmtDateTime(s.lastFailureAt)}` : ''}: ${s.lastFailure}`) : null);
}

/** The sampling period from the last samples' time stamps (the policy counts in samples). */
async function samplePeriod(): Promise<number | null> {
  const samples = await api<Sample[]>('GET', '/api/history?limit=6').catch(() => []);
  const gaps = samples.slice(1).map((x, i) => x.ts - samples[i]!.ts).filter((g) => g > 0).sort((a, b) => a - b);
  return gaps.length ? Math.round(gaps[Math.floor(gaps.length / 2)]! / 100) / 10 : null;
}

/** `scaleOutCpuShare` → `scale_out_cpu_share`: the key as the configuration file spells it. */
const snake = (k: string) => k.replace(/([A-Z])/g, '_$1').toLowerCase();

/** Peers and control: this appliance's state, peer state, the policy in words (its raw settings behind a toggle), manual hand-off / take-back, reload of the configuration file. */
export const peersPage: Page = (root) => {
  const peers = h('section', { class: 'block' });
  const policy = h('section', { class: 'block' });
  root.replaceChildren(heading('Peers and control'), peers, policy);
  const result = (r: HandOffReply) => notify(r.message, r.ok ? 'ok' : 'error');

  const load = async () => {
    const info = await api<PeersInfo>('GET', '/api/peers');
    const handedTo = info.handOff?.to ?? info.peers.find((p) => p.role === 'handed-off')?.name;
    fill(peers, ownStateCard(info), situationCard(info, load), h('h2', {}, 'Peer appliances'),
      info.peers.length === 0
        ? h('p', { class: 'hint' }, 'No peer appliances configured ([[peers]] in the configuration file): this appliance carries all of its traffic itself, and there is nothing to hand off or take back.')
        : [table('Peers', ['Peer', 'URL', 'SIP', 'State', 'Role', 'Last heartbeat', 'Clock', ''], info.peers.map((p) => [
          p.name, p.url, p.sip, h('span', { class: `badge ${p.state}` }, p.state), p.role, p.lastHeartbeatAt ? fmtTime(p.lastHeartbeatAt) : 'never', clockCell(p),
          p.name === handedTo ? '' : actionButton('Hand off to this peer', async () => {
            if (!confirm(`Hand new traffic to ${p.name}?`)) return;
            result(await api<HandOffReply>('POST', `/api/peers/${encodeURIComponent(p.name)}/hand-off`));
            await load();
          }, { 'aria-label': `Hand off to ${p.name}` }),
        ])),
        // Taking back is offered only while the traffic is with a peer.
        handedTo ? h('div', { class: 'buttons' }, actionButton(`Take traffic back from ${handedTo}`, async () => {
          result(await api<HandOffReply>('POST', '/api/control/take-back'));
          await load();
        })) : null]);
    const local: [string, string][] = (['minWorkers', 'maxWorkers', 'peers'] as const).map((k) => {
      const v = info.policy[k];
      return [snake(k), Array.isArray(v) ? v.join(', ') || '(none)' : String(v)];
    });
    const raw = await policySettingsTable(local, load);
    // Open again after an edit reloads the page's data.
    const wasOpen = (policy.querySelector('details.raw-settings') as HTMLDetailsElement | null)?.open ?? false;
    const period = await samplePeriod();
    fill(policy, h('h2', {}, 'Overload policy'),
      h('ul', { class: 'policy-words' }, policySummary(info.policy, period).map((line) => h('li', {}, line))),
      h('details', { class: 'raw-settings', ...(wasOpen ? { open: '' } : {}) }, h('summary', {}, 'Raw policy settings'),
        ...raw),
      h('p', { class: 'hint' }, 'Reload re-reads the configuration file without a restart: policy settings apply at once, SIP, DNS and trunk settings '
        + 'through new connection control sections (calls in progress go on), and an invalid file or a change that needs a restart is refused, naming the key.'),
      h('div', { class: 'buttons' }, actionButton('Reload the configuration file', async () => {
        // A refusal comes back as an API error (409) with the key at fault: shown by actionButton.
        notify((await api<ReloadReply>('POST', '/api/control/reload')).message);
        await load();
      })));
  };
  void load().catch((err) => notify(err.message, 'error'));
};
