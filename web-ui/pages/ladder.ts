import { api } from '../api.ts';
import { fill, h } from '../dom.ts';
import { partyLabel, type NameBook } from '../parties.ts';
import type { Ladder, Step } from '../types.ts';
import { notify } from '../ui.ts';

type Lane = Step['from'];

/** How often an open ladder of a call in progress is fetched again. */
const LIVE_MS = 1000;
const LANES: Lane[] = ['caller', 'appliance', 'callee'];

/** `12:03:04.567`: a SIP engineer reads milliseconds. */
const clock = (ts: number) => {
  const d = new Date(ts);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};
/** `+3 ms`, `+2.50 s`; a step earlier than the one before (clocks of two workers) `−468 ms`, never `+-468 ms`. */
const delta = (ms: number) => {
  const abs = Math.abs(ms);
  return `${ms < 0 ? '−' : '+'}${abs < 1000 ? `${abs} ms` : `${(abs / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`}`;
};

/** The ladder as plain text, one message a line, then every kept message in full. */
export function ladderText(l: Ladder, names: NameBook): string {
  const who = { caller: partyLabel(l.call.from, names), appliance: 'appliance', callee: partyLabel(l.call.to, names) };
  const t0 = l.steps.find((s) => s.ts !== null)?.ts ?? null;
  const lines = [`Call ${l.call.callId}: ${who.caller} -> ${who.callee} (${l.source})`, ''];
  l.steps.forEach((s, i) => {
    const time = s.ts === null ? '            ' : clock(s.ts);
    const off = s.ts !== null && t0 !== null ? `${String(s.ts - t0).padStart(7)} ms` : '          ';
    lines.push(`${String(i + 1).padStart(3)}  ${time}  ${off}  ${who[s.from]} -> ${who[s.to]}  ${s.label}${s.peer ? `  [${s.peer}]` : ''}`);
  });
  for (const [i, s] of l.steps.entries()) {
    if (s.raw) lines.push('', `--- ${i + 1}: ${s.label} ${s.from} -> ${s.to}${s.peer ? ` [${s.peer}]` : ''} ---`, s.raw.replace(/\r\n/g, '\n'));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A SIP ladder laid out in HTML, so it fits any width: one row per message with its time and
 * the delay since the one before, the arrow between two of the three lanes, and its label
 * above the arrow wrapping inside the span (a long reason phrase never spills past its lane).
 * A row is a button: it opens the message in full (headers and SDP, secrets masked). The
 * ladder of a call in progress is fetched again every second until the call ends.
 */
export function showLadder(root: HTMLElement, callId: string, names: () => NameBook): () => void {
  let timer: number | undefined;
  let stopped = false;
  let selected = -1;
  let last: Ladder | undefined;
  const detail = h('div', { class: 'ladder-detail', 'aria-live': 'polite' });

  const draw = (l: Ladder) => {
    const book = names();
    const who = { caller: partyLabel(l.call.from, book), appliance: 'appliance', callee: partyLabel(l.call.to, book) };
    const col = (lane: Lane) => LANES.indexOf(lane);
    let prev: number | null = null;
    const rows = l.steps.map((st, i) => {
      const d = st.ts !== null && prev !== null ? st.ts - prev : null;
      if (st.ts !== null) prev = st.ts;
      const [a, b] = [col(st.from), col(st.to)];
      const right = b > a;
      return h('li', {}, h('button', {
        type: 'button', class: `ladder-row${i === selected ? ' selected' : ''}`, 'aria-pressed': String(i === selected),
        'aria-label': `${i + 1}: ${st.label} from ${who[st.from]} to ${who[st.to]}${st.ts !== null ? ` at ${clock(st.ts)}` : ''}`,
        onclick: () => { selected = i; draw(l); },
      },
      h('span', { class: 'ladder-time' }, st.ts === null ? '' : clock(st.ts)),
      h('span', { class: 'ladder-delta' }, d === null ? '' : delta(d)),
      h('span', { class: 'ladder-lanes' },
        h('span', { class: `ladder-msg ${right ? 'right' : 'left'}`, style: null, 'data-span': `${Math.min(a, b)}-${Math.max(a, b)}` },
          h('span', { class: 'ladder-label' }, st.label),
          h('span', { class: 'ladder-arrow', 'aria-hidden': 'true' })))));
    });
    fill(root, h('div', { class: 'card ladder-card' },
      h('div', { class: 'page-head' },
        h('h2', {}, `Ladder: ${who.caller} → ${who.callee}`),
        h('button', { type: 'button', onclick: () => download(l) }, 'Download as text')),
      h('p', { class: 'hint' }, l.note, 'endedAt' in l.call ? '' : ' The call is in progress: the ladder follows it live.'),
      h('div', { class: 'ladder', role: 'group', 'aria-label': `SIP ladder of the call from ${who.caller} to ${who.callee}` },
        h('div', { class: 'ladder-head', 'aria-hidden': 'true' }, h('span', {}, 'time'), h('span', {}, 'delta'),
          h('span', { class: 'ladder-lanes' }, LANES.map((lane) => h('span', { class: 'lane-name' }, who[lane])))),
        h('ol', { class: 'ladder-rows' }, rows)),
      detail));
    drawDetail(l);
  };

  const drawDetail = (l: Ladder) => {
    const st = l.steps[selected];
    if (!st) return fill(detail);
    fill(detail, h('h3', {}, `Message ${selected + 1}: ${st.label}`),
      h('p', { class: 'hint' }, `${st.from} → ${st.to}${st.peer ? `, the other end ${st.peer}` : ''}${st.worker !== undefined ? `, worker ${st.worker}` : ''}${st.ts !== null ? `, ${clock(st.ts)}` : ''}`),
      st.raw ? h('pre', { class: 'sip-message' }, st.raw) : h('p', {}, l.source === 'trace'
        ? 'The full text of this message is no longer kept (the trace keeps the messages of recent calls only).'
        : 'Reconstructed step: no message text.'));
  };

  const download = (l: Ladder) => {
    const a = h('a', { href: URL.createObjectURL(new Blob([ladderText(l, names())], { type: 'text/plain' })), download: `ladder-${l.call.callId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}.txt` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const load = async () => {
    try {
      const l = await api<Ladder>('GET', `/api/calls/${encodeURIComponent(callId)}/ladder`);
      if (stopped) return;
      if (JSON.stringify(l) !== JSON.stringify(last)) draw(l);
      last = l;
      // Follow a call in progress; an ended one is complete.
      if (!('endedAt' in l.call)) timer = window.setTimeout(() => void load(), LIVE_MS);
    } catch (err) {
      notify((err as Error).message, 'error');
    }
  };
  void load();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
