import { describe, expect, test } from 'bun:test';
import { formatReport } from '../../../bench/sip-cps-lib/report.ts';
import type { Figures } from '../../../bench/sip-cps-lib/measure.ts';

/** bench/sip-cps's last lines: the ratios of the default appliance, the scale-out speedup of pinned runs. */
const fig = (maxCps: number, maxRps: number, workers: number): Figures => ({ maxCps, maxRps, curve: [], workersSeen: [workers], notes: [] });

describe('formatReport', () => {
  test('pinned worker counts: a speedup line per N > 1; the ratios are the default appliance\'s; ratio_vs_kamailio last', () => {
    const results = new Map<string, Figures | string>([
      ['kamailio', fig(2000, 10000, 4)], ['appliance', fig(1000, 5000, 2)], ['appliance-1w', fig(600, 3000, 1)], ['appliance-2w', fig(900, 4000, 2)],
    ]);
    const lines = formatReport(results, ['kamailio', 'appliance', 'appliance-1w', 'appliance-2w']).split('\n');
    expect(lines).toContain('workers_speedup_2w_vs_1w=1.50 (calls/s 900 vs 600)');
    expect(lines).toContain('reg_ratio_vs_kamailio=0.50');
    expect(lines.at(-1)).toBe('ratio_vs_kamailio=0.50');
    expect(lines.some((l) => /^appliance-2w\s+900\s+4000\s+2$/.test(l))).toBe(true);
  });
  test('no one-worker figure (it was skipped): no speedup line', () => {
    const results = new Map<string, Figures | string>([['appliance-1w', 'appliance exited with code 1'], ['appliance-2w', fig(900, 4000, 2)]]);
    expect(formatReport(results, ['appliance-1w', 'appliance-2w'])).not.toContain('workers_speedup');
  });
});
