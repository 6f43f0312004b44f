import { api } from '../api.ts';
import { fill, fmtDuration, fmtTime, h, table } from '../dom.ts';
import { live } from '../live.ts';
import { nameBook, partyLabel, type NameBook } from '../parties.ts';
import type { Call, Extension, HangupReply, RingingCall } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';
import { callRecordsSection } from './call-records.ts';
import { showLadder } from './ladder.ts';

/** Calls: those ringing and in progress (live), the call records (searchable), and the ladder of a selected call. */
export const callsPage: Page = (root) => {
  const active = h('section', { 'aria-label': 'Active calls' });
  const ringing = h('section', { 'aria-label': 'Ringing calls' });
  const ladder = h('section', { id: 'ladder' });
  let names: NameBook = new Map();
  let stopLadder = () => {};
  let lastActive: Call[] = [];
  let lastRinging: RingingCall[] = [];
  const show = (callId: string) => {
    stopLadder();
    stopLadder = showLadder(ladder, callId, () => names);
    ladder.scrollIntoView({ block: 'nearest' });
  };
  const records = callRecordsSection((callId) => show(callId), () => names);
  root.replaceChildren(heading('Calls'), ringing, active, ladder, records.section);

  const pick = (c: Call) => h('button', { type: 'button', class: 'link', onclick: () => show(c.callId), 'aria-label': `Show ladder of call from ${partyLabel(c.from, names)} to ${partyLabel(c.to, names)}` }, 'Ladder');
  // Hang-up (docs/API.md "Hang-up"): the appliance sends BYE to both phones, after a confirmation.
  const hangUp = (c: Call) => {
    const what = `the call from ${partyLabel(c.from, names)} to ${partyLabel(c.to, names)}`;
    return actionButton('Hang up', async () => {
      if (!confirm(`Hang up ${what}? Both phones are sent a BYE.`)) return;
      const r = await api<HangupReply>('POST', `/api/calls/${encodeURIComponent(c.callId)}/hangup`);
      notify(r.pending ? `Hanging up ${what}: ${r.message}` : `Hung up ${what} (${hangupWords(r)})`);
    }, { class: 'danger', 'aria-label': `Hang up ${what}` });
  };
  const drawActive = () => {
    const now = Date.now();
    fill(active, h('h2', {}, 'Active calls'), table('Calls in progress', ['From', 'To', 'Since', 'Duration', 'Worker', ''],
      lastActive.map((c) => [partyLabel(c.from, names), partyLabel(c.to, names), fmtTime(c.startedAt), fmtDuration(now - c.startedAt), String(c.worker),
        h('span', { class: 'row-actions' }, pick(c), ' ', hangUp(c))]), 'no call in progress'));
  };
  // Ringing calls (from the busy lamps), shown only while there are some.
  const drawRinging = () => {
    const now = Date.now();
    fill(ringing, lastRinging.length === 0 ? null : [h('h2', {}, 'Ringing now'), table('Calls ringing, not yet answered', ['From', 'Ringing', 'For'],
      lastRinging.map((r) => [partyLabel(r.from, names), h('span', {}, h('span', { class: 'badge state-ringing' }, 'ringing'), ' ', r.callees.map((c) => partyLabel(c, names)).join(', ')), fmtDuration(now - r.since)]))]);
  };
  // Names next to numbers: "Reception (201)".
  void api<Extension[]>('GET', '/api/extensions').then((exts) => {
    names = nameBook(exts);
    drawActive();
    drawRinging();
    records.redraw();
  }).catch(() => {});
  let activeIds: string | undefined;
  const off = live.onSnapshot((snap) => {
    // A call started or ended (hung up here, or by a phone): its record changed too.
    const ids = snap.calls.active.map((c) => c.callId).join('\n');
    if (activeIds !== undefined && ids !== activeIds) records.reload();
    activeIds = ids;
    lastActive = snap.calls.active;
    lastRinging = snap.calls.ringing ?? [];
    drawActive();
    drawRinging();
  });
  return () => {
    off();
    stopLadder();
  };
};

/** How the phones answered their BYEs, in words: "both phones answered 200", "caller answered 481, callee did not answer". */
export function hangupWords(r: Extract<HangupReply, { dialogs: unknown }>): string {
  const side = (who: string, status: number) => (status === 408 ? `${who} did not answer` : `${who} answered ${status}`);
  return r.dialogs.map((d) => (d.caller.status === 200 && d.callee.status === 200 ? 'both phones answered 200'
    : `${side('caller', d.caller.status)}, ${side('callee', d.callee.status)}`)).join('; ');
}
