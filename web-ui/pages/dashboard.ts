import { api } from '../api.ts';
import { lineChart, type Series } from '../chart.ts';
import { recentMean } from '../chart-scale.ts';
import { fill, fmtDuration, fmtTime, h, table } from '../dom.ts';
import { live } from '../live.ts';
import type { Sample, Snapshot } from '../types.ts';
import { heading, type Page } from '../ui.ts';
import { gettingStarted } from './getting-started.ts';

const KEEP = 150;
/** The CPU tile's window: about 10 s at the default 2-s sampling, like the policy's own windows. */
const CPU_WINDOW = 5;

/** Live charts of the operating state, workers, peers and recent events; the next steps while the office is being set up. */
export const dashboardPage: Page = (root) => {
  let samples: Sample[] = [];
  const charts = h('div', { class: 'charts', id: 'charts' });
  const tiles = h('div', { class: 'tiles' });
  const workers = h('section', { 'aria-label': 'Workers' });
  const peers = h('section', { 'aria-label': 'Peers' });
  const events = h('section', { 'aria-label': 'Recent events' });
  const start = gettingStarted();
  root.replaceChildren(heading('Dashboard'), start.section, tiles, charts, h('div', { class: 'grid2' }, workers, peers), events, start.footer);

  /** The charts' drawing width: what their grid cells gave the last drawing (they are drawn at their real pixel size). */
  let width = 0;
  const measured = () => charts.querySelector('figure.chart svg')?.getBoundingClientRect().width ?? 0;
  const drawCharts = () => {
    const times = samples.map((x) => x.ts);
    const ids = [...new Set(samples.flatMap((x) => x.workers.map((w) => w.id)))].sort((a, b) => a - b);
    const workerSeries: Series[] = ids.map((id, i) => ({
      label: `worker ${id}`, colour: i % 8, values: samples.map((x) => {
        const w = x.workers.find((w) => w.id === id);
        return w ? Math.round(w.cpuShare * 1000) / 10 : null;
      }),
    }));
    if (samples.length === 0) {
      fill(charts, h('p', { class: 'hint waiting' }, 'Waiting for the first operating-state sample (one every 2 s by default)…'));
      fill(tiles);
      return;
    }
    const cpuTemps = samples.map((x) => x.temperatures.cpu);
    const chipTemps = samples.map((x) => x.temperatures.chipset);
    const anyTemperature = [...cpuTemps, ...chipTemps].some((t) => t !== null);
    fill(charts,
      lineChart({ title: 'CPU and memory', unit: '%', max: 100, width, times, series: [
        { label: 'CPU', colour: 0, values: samples.map((x) => x.cpuPercent) },
        { label: 'memory', colour: 1, values: samples.map((x) => x.memoryPercent) },
      ] }),
      lineChart({ title: 'Worker CPU share', unit: '%', max: 100, width, times, series: workerSeries }),
      lineChart({ title: 'Calls and requests', unit: 'per second', width, times, series: [
        { label: 'new calls/s', colour: 2, values: samples.map((x) => x.callsPerSecond) },
        { label: 'requests/s', colour: 3, values: samples.map((x) => x.requestsPerSecond) },
      ] }),
      lineChart({ title: 'Registrations and active calls', unit: 'count', integer: true, width, times, series: [
        { label: 'registrations', colour: 4, values: samples.map((x) => x.registrations) },
        { label: 'active calls', colour: 5, values: samples.map((x) => x.activeCalls) },
      ] }),
      // No sensor at all (a VM, many small boxes): one line saying so, not an empty chart.
      anyTemperature
        ? lineChart({ title: 'Temperatures', unit: '°C', width, times, series: [
          { label: 'CPU', colour: 6, values: cpuTemps },
          { label: 'chipset', colour: 7, values: chipTemps },
        ] })
        : null,
    );
    if (!anyTemperature) {
      charts.after(h('p', { class: 'hint no-sensor', id: 'no-temperature' }, 'Temperatures: this hardware has no temperature sensor the appliance can read, so none is charted (the policy then never counts heat as overload).'));
    }
    const last = samples[samples.length - 1];
    // The CPU tile is the mean of the last samples: a single 2-second sample jumps with every burst.
    const cpu = recentMean(samples.map((x) => x.cpuPercent), CPU_WINDOW);
    const cpuSpan = cpu && cpu.count > 1 ? Math.round((samples[samples.length - 1]!.ts - samples[samples.length - cpu.count]!.ts) / 1000) : 0;
    const tile = (label: string, value: string, id?: string) => h('div', { class: 'tile', id }, h('span', { class: 'tile-label' }, label), h('strong', {}, value));
    fill(tiles,
      tile(cpuSpan > 0 ? `CPU (mean of ${cpuSpan} s)` : 'CPU', cpu ? `${cpu.mean.toFixed(0)} %` : 'unavailable', 'tile-cpu'),
      tile('Workers', last ? String(last.workers.length) : '–'),
      tile('Calls/s', last ? last.callsPerSecond.toFixed(1) : '–'),
      tile('Active calls', last ? String(last.activeCalls) : '–'),
      tile('Registrations', live.last ? String(live.last.registrations.length) : '–'),
      last?.temperatures.cpu == null ? null : tile('CPU temperature', `${last.temperatures.cpu.toFixed(0)} °C`));
  };
  const draw = () => {
    root.querySelector('#no-temperature')?.remove();
    drawCharts();
    // Drawn at a guessed width (the first time, or the layout changed): once more at the width the cells have.
    const w = measured();
    if (w > 0 && Math.abs(w - width) > 2) {
      width = w;
      root.querySelector('#no-temperature')?.remove();
      drawCharts();
    }
  };

  const drawLists = (snap: Snapshot) => {
    const now = Date.now();
    start.update(snap);
    fill(workers, h('h2', {}, 'Workers'), table('Connection control sections', ['Worker', 'PID', 'State', 'Up for'],
      snap.workers.map((w) => [String(w.id), String(w.pid), h('span', { class: `badge ${w.state}` }, w.state), fmtDuration(now - w.startedAt)])));
    fill(peers, h('h2', {}, 'Peers'), table('Peer appliances', ['Peer', 'State', 'Role', 'Last heartbeat'],
      snap.peers.map((p) => [p.name, h('span', { class: `badge ${p.state}` }, p.state), p.role, p.lastHeartbeatAt ? fmtTime(p.lastHeartbeatAt) : 'never']),
      'no peer appliances configured'));
    fill(events, h('h2', {}, 'Recent events'), h('ol', { class: 'events' },
      snap.events.map((e) => h('li', {}, h('time', {}, fmtTime(e.ts)), ' ', h('code', { class: 'kind' }, e.kind), ' ', e.message))));
    draw();
  };

  const offSample = live.onSample((x) => {
    samples = [...samples, x].slice(-KEEP);
    draw();
  });
  const offSnap = live.onSnapshot(drawLists);
  void api<Sample[]>('GET', `/api/history?limit=${KEEP}`).then((h0) => {
    const seen = new Set(samples.map((x) => x.ts));
    samples = [...h0.filter((x) => !seen.has(x.ts)), ...samples].sort((a, b) => a.ts - b.ts).slice(-KEEP);
    draw();
  });
  void start.reload().catch(() => {});
  // Drawn at the figures' pixel width: a resized window (or a turned phone) redraws them.
  let lastWidth = 0;
  const resized = new ResizeObserver(() => {
    if (Math.abs(charts.clientWidth - lastWidth) < 8) return;
    lastWidth = charts.clientWidth;
    draw();
  });
  resized.observe(charts);
  draw();
  return () => {
    offSample();
    offSnap();
    resized.disconnect();
  };
};
