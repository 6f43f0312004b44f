import { api } from '../api.ts';
import { fill, fmtDuration, fmtTime, h, s, table } from '../dom.ts';
import { live } from '../live.ts';
import type { Call } from '../types.ts';
import { heading, type Page } from '../ui.ts';
import { callRecordsSection } from './call-records.ts';

interface Step { from: string; to: string; label: string; ts: number | null }
interface Ladder { call: Call; source: string; note: string; steps: Step[] }

const LANES = ['caller', 'appliance', 'callee'];

/** A SIP ladder diagram: one lane per party, one arrow per message. */
function ladderSvg(l: Ladder): SVGSVGElement {
  const W = 480;
  const ROW = 30;
  const H = 50 + l.steps.length * ROW;
  const x = (lane: string) => 60 + LANES.indexOf(lane) * 180;
  const names = [l.call.from, 'appliance', l.call.to];
  return s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'ladder', role: 'img', 'aria-label': `SIP ladder: ${l.steps.map((st) => `${st.label} ${st.from} to ${st.to}`).join('; ')}` },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
    LANES.map((lane, i) => [
      s('text', { x: x(lane), y: 16, 'text-anchor': 'middle', class: 'lane-name' }, names[i].replace(/^sips?:/, '')),
      s('line', { x1: x(lane), x2: x(lane), y1: 24, y2: H - 6, class: 'lane' }),
    ]),
    l.steps.map((st, i) => {
      const y = 44 + i * ROW;
      const x1 = x(st.from);
      const x2 = x(st.to);
      return [
        s('line', { x1, x2: x2 + (x2 > x1 ? -3 : 3), y1: y, y2: y, class: 'msg', 'marker-end': 'url(#arrow)' }),
        s('text', { x: (x1 + x2) / 2, y: y - 5, 'text-anchor': 'middle', class: 'msg-label' }, st.label),
      ];
    }));
}

/** Calls: those in progress (live), the call records (searchable), and the ladder of a selected call. */
export const callsPage: Page = (root) => {
  const active = h('section', { 'aria-label': 'Active calls' });
  const ladder = h('section', { id: 'ladder', 'aria-live': 'polite' });
  root.replaceChildren(heading('Calls'), active, ladder, callRecordsSection((callId) => void show(callId)));

  const show = async (callId: string) => {
    const l = await api<Ladder>('GET', `/api/calls/${encodeURIComponent(callId)}/ladder`);
    fill(ladder, h('div', { class: 'card' }, h('h2', {}, `Ladder: ${l.call.from} → ${l.call.to}`),
      h('p', { class: 'hint' }, l.note), ladderSvg(l)));
  };
  const pick = (c: Call) => h('button', { type: 'button', class: 'link', onclick: () => void show(c.callId), 'aria-label': `Show ladder of call from ${c.from} to ${c.to}` }, 'Ladder');

  const off = live.onSnapshot((snap) => {
    const now = Date.now();
    fill(active, h('h2', {}, 'Active calls'), table('Calls in progress', ['From', 'To', 'Since', 'Duration', 'Worker', ''],
      snap.calls.active.map((c) => [c.from, c.to, fmtTime(c.startedAt), fmtDuration(now - c.startedAt), String(c.worker), pick(c)]), 'no call in progress'));
  });
  return off;
};
