import { api } from '../api.ts';
import { lineChart, type Series } from '../chart.ts';
import { fill, fmtDuration, fmtTime, h, table } from '../dom.ts';
import { live } from '../live.ts';
import type { Sample, Snapshot } from '../types.ts';
import { heading, type Page } from '../ui.ts';

const KEEP = 150;

/** Live charts of the operating state, workers, peers and recent events. */
export const dashboardPage: Page = (root) => {
  let samples: Sample[] = [];
  const charts = h('div', { class: 'charts', id: 'charts' });
  const tiles = h('div', { class: 'tiles' });
  const workers = h('section', { 'aria-label': 'Workers' });
  const peers = h('section', { 'aria-label': 'Peers' });
  const events = h('section', { 'aria-label': 'Recent events' });
  root.replaceChildren(heading('Dashboard'), tiles, charts, h('div', { class: 'grid2' }, workers, peers), events);

  const drawCharts = () => {
    const times = samples.map((x) => x.ts);
    const ids = [...new Set(samples.flatMap((x) => x.workers.map((w) => w.id)))].sort((a, b) => a - b);
    const workerSeries: Series[] = ids.map((id, i) => ({
      label: `worker ${id}`, colour: i % 8, values: samples.map((x) => {
        const w = x.workers.find((w) => w.id === id);
        return w ? Math.round(w.elu * 1000) / 10 : null;
      }),
    }));
    const temps = samples.map((x) => x.temperatures.cpu);
    fill(charts,
      lineChart({ title: 'CPU and memory', unit: '%', max: 100, times, series: [
        { label: 'CPU', colour: 0, values: samples.map((x) => x.cpuPercent) },
        { label: 'memory', colour: 1, values: samples.map((x) => x.memoryPercent) },
      ] }),
      lineChart({ title: 'Worker utilisation', unit: '%', max: 100, times, series: workerSeries }),
      lineChart({ title: 'Calls and requests', unit: 'per second', times, series: [
        { label: 'new calls/s', colour: 2, values: samples.map((x) => x.callsPerSecond) },
        { label: 'requests/s', colour: 3, values: samples.map((x) => x.requestsPerSecond) },
      ] }),
      lineChart({ title: 'Registrations and active calls', unit: 'count', times, series: [
        { label: 'registrations', colour: 4, values: samples.map((x) => x.registrations) },
        { label: 'active calls', colour: 5, values: samples.map((x) => x.activeCalls) },
      ] }),
      lineChart({ title: temps.some((t) => t !== null) ? 'Temperatures' : 'Temperatures (sensors unavailable on this hardware)', unit: '°C', times, series: [
        { label: 'CPU', colour: 6, values: temps },
        { label: 'chipset', colour: 7, values: samples.map((x) => x.temperatures.chipset) },
      ] }),
    );
    const last = samples[samples.length - 1];
    const tile = (label: string, value: string) => h('div', { class: 'tile' }, h('span', { class: 'tile-label' }, label), h('strong', {}, value));
    fill(tiles,
      tile('CPU', last?.cpuPercent == null ? 'unavailable' : `${last.cpuPercent.toFixed(0)} %`),
      tile('Workers', last ? String(last.workers.length) : '–'),
      tile('Calls/s', last ? last.callsPerSecond.toFixed(1) : '–'),
      tile('Active calls', last ? String(last.activeCalls) : '–'),
      tile('Registrations', live.last ? String(live.last.registrations.length) : '–'),
      tile('CPU temperature', last?.temperatures.cpu == null ? 'unavailable' : `${last.temperatures.cpu.toFixed(0)} °C`));
  };

  const drawLists = (snap: Snapshot) => {
    const now = Date.now();
    fill(workers, h('h2', {}, 'Workers'), table('Connection control sections', ['Worker', 'PID', 'State', 'Up for'],
      snap.workers.map((w) => [String(w.id), String(w.pid), h('span', { class: `badge ${w.state}` }, w.state), fmtDuration(now - w.startedAt)])));
    fill(peers, h('h2', {}, 'Peers'), table('Peer appliances', ['Peer', 'State', 'Role', 'Last heartbeat'],
      snap.peers.map((p) => [p.name, h('span', { class: `badge ${p.state}` }, p.state), p.role, p.lastHeartbeatAt ? fmtTime(p.lastHeartbeatAt) : 'never']),
      'no peer appliances configured'));
    fill(events, h('h2', {}, 'Recent events'), h('ol', { class: 'events' },
      snap.events.map((e) => h('li', {}, h('time', {}, fmtTime(e.ts)), ' ', h('code', {}, e.kind), ' ', e.message))));
    drawCharts();
  };

  const offSample = live.onSample((x) => {
    samples = [...samples, x].slice(-KEEP);
    drawCharts();
  });
  const offSnap = live.onSnapshot(drawLists);
  void api<Sample[]>('GET', `/api/history?limit=${KEEP}`).then((h0) => {
    const seen = new Set(samples.map((x) => x.ts));
    samples = [...h0.filter((x) => !seen.has(x.ts)), ...samples].sort((a, b) => a.ts - b.ts).slice(-KEEP);
    drawCharts();
  });
  drawCharts();
  return () => {
    offSample();
    offSnap();
  };
};
