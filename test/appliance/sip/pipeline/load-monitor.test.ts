import { describe, expect, test } from 'bun:test';
import { parseOverloadConfig } from '../../../../system/config/overload-config.ts';
import { AdmissionControl } from '../../../../appliance/sip/pipeline/admission-control.ts';
import { LoadMonitor } from '../../../../appliance/sip/pipeline/load-monitor.ts';

/**
 * LoadMonitor: transactions kept only for their timers (RFC 3261 §17, up to 32 s after an
 * overload) are not work, so they neither lower the admitted share nor count against the cap.
 * Seen before: after a 2,500 calls/s step, 10 REGISTERs/s got 503 for half a minute.
 */
const CAP = 1000;
const cfg = parseOverloadConfig({}); // shed from 80 % of the cap

function run(open: number, pending: number, ticks = 20) {
  const admission = new AdmissionControl();
  const source = { admission, openTransactions: open, pendingTransactions: pending };
  const monitor = new LoadMonitor(source, cfg, CAP);
  monitor.start();
  try {
    // the receive path runs an overdue tick; each probe 200 ms after the last: overdue, so it ticks (no new
    // requests offered, so the lag alone sheds nothing)
    let now = performance.now();
    for (let i = 0; i < ticks; i++) {
      now += 200;
      admission.probe?.(now);
    }
  } finally {
    monitor.stop();
  }
  return { share: admission.localShare, lingering: admission.lingering };
}

describe('LoadMonitor', () => {
  const cases: [string, number, number, { shed: boolean; lingering: number }][] = [
    ['90 % open, all with work left: sheds', 900, 900, { shed: true, lingering: 0 }],
    ['90 % open, all but 100 lingering after their final: admits all', 900, 100, { shed: false, lingering: 800 }],
    ['10 % open, all lingering: admits all', 100, 0, { shed: false, lingering: 100 }],
  ];
  for (const [name, open, pending, want] of cases) {
    test(name, () => {
      const r = run(open, pending);
      if (want.shed) expect(r.share).toBeLessThan(0.5);
      else expect(r.share).toBe(1);
      expect(r.lingering).toBe(want.lingering);
    });
  }
});

describe('LoadMonitor reads the receive backlog', () => {
  /** Probes 5 ms apart (never an overdue tick): only the backlog check between ticks can cut the share. */
  function probe(bytes: number, probes = 10) {
    const admission = new AdmissionControl();
    const reads: number[] = [];
    const monitor = new LoadMonitor({ admission, openTransactions: 0, pendingTransactions: 0 }, cfg, CAP, { read: () => (reads.push(bytes), bytes) });
    monitor.start();
    try {
      let now = performance.now();
      for (let i = 0; i < probes; i++) admission.probe?.((now += 5));
    } finally {
      monitor.stop();
    }
    return { share: admission.localShare, reads: reads.length, queued: admission.queuedBytes };
  }
  test('a backlog over the threshold cuts the share from the receive path, read at most every 20 ms', () => {
    const r = probe(4 * cfg.shedQueueBytes);
    expect(r.share).toBeLessThan(0.5);
    expect(r.queued).toBe(4 * cfg.shedQueueBytes);
    expect(r.reads).toBeGreaterThanOrEqual(1);
    expect(r.reads).toBeLessThanOrEqual(3); // 50 ms of probes
  });
  test('a backlog under the threshold cuts nothing', () => expect(probe(cfg.shedQueueBytes / 2).share).toBe(1));
  test('shed_queue_kb = 0: never read', () => {
    const admission = new AdmissionControl();
    let reads = 0;
    const monitor = new LoadMonitor({ admission, openTransactions: 0, pendingTransactions: 0 }, parseOverloadConfig({ shed_queue_kb: 0 }), CAP, { read: () => ++reads });
    monitor.start();
    let now = performance.now();
    for (let i = 0; i < 30; i++) admission.probe?.((now += 60));
    monitor.stop();
    expect(reads).toBe(0);
  });
});
