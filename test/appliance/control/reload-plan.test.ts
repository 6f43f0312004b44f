import { describe, expect, test } from 'bun:test';
import { classify, planReload, RELOAD_CLASSES } from '../../../appliance/control/reload-plan.ts';

const toml = (text: string) => Bun.TOML.parse(text) as Record<string, unknown>;

describe('classify: how each file key changes', () => {
  const rows: [string, string, boolean][] = [
    ['control.scale_out_cpu_share', 'live', false],
    ['control.min_workers', 'live', false],
    ['control.sample_schedule', 'live', false],
    ['log.retention_days', 'live', false],
    ['log.rate_per_kind', 'restart', false],
    ['log.format', 'live', false],
    ['log.level', 'live', false],
    ['log.areas.sip', 'live', false],
    ['call_records.retention_days', 'live', false],
    ['sip.port', 'new-workers', true],
    ['sip.listen', 'new-workers', true],
    ['sip.tls.port', 'new-workers', true],
    ['sip.transports', 'new-workers', true],
    ['sip.max_expires', 'new-workers', false],
    ['sip.trusted', 'new-workers', false],
    ['sip.domain', 'restart', false],
    ['dns.zone', 'new-workers', false],
    ['dns.port', 'new-workers', true],
    ['security.rate_limit', 'new-workers', false],
    ['overload.shed_lag_ms', 'new-workers', false],
    ['trunks', 'new-workers', false],
    ['routes', 'new-workers', false],
    ['inbound', 'new-workers', false],
    ['feature_codes.forward_always', 'new-workers', false],
    ['metrics.allow', 'restart', false],
    ['web.port', 'restart', false],
    ['web.hosts', 'restart', false],
    ['peers', 'restart', false],
    ['data_dir', 'restart', false],
    ['name', 'restart', false],
    ['something.unknown', 'restart', false],
  ];
  test.each(rows)('%s → %s (new sockets: %p)', (key, how, sockets) => {
    const c = classify(key);
    expect(c.how).toBe(how as never);
    expect(c.sockets === true).toBe(sockets);
  });

  test('every top-level table of the config has a row', () => {
    for (const k of ['name', 'data_dir', 'sip', 'dns', 'web', 'control', 'peers', 'security', 'log', 'emergency', 'overload', 'call_records', 'trunks', 'routes', 'inbound', 'feature_codes', 'voicemail', 'metrics']) {
      expect(RELOAD_CLASSES[k]).toBeDefined();
    }
  });
});

describe('planReload', () => {
  const base = `data_dir = "d"\n[sip]\nport = 5060\nmax_expires = 3600\n[control]\nscale_out_cpu_share = 0.75\n`;
  const cases: { name: string; next: string; action: string; keys: string[]; sockets?: boolean; restart?: string[] }[] = [
    { name: 'nothing changed (comments, order)', next: `# edited\n[control]\nscale_out_cpu_share = 0.75\n[sip]\nmax_expires = 3600\nport = 5060\n[dns]\n`, action: 'none', keys: [] },
    { name: 'a policy threshold', next: base.replace('0.75', '0.9'), action: 'live', keys: ['control.scale_out_cpu_share'] },
    { name: 'a live key added', next: `${base}[log]\nretention_days = 7\n`, action: 'live', keys: ['log.retention_days'] },
    { name: 'a worker key', next: base.replace('3600', '7200'), action: 'new-workers', keys: ['sip.max_expires'], sockets: false },
    { name: 'the SIP port', next: base.replace('5060', '5070'), action: 'new-workers', keys: ['sip.port'], sockets: true },
    { name: 'a key removed (back to its default)', next: base.replace('max_expires = 3600\n', ''), action: 'new-workers', keys: ['sip.max_expires'], sockets: false },
    { name: 'a trunk added (array of tables)', next: `${base}[[trunks]]\nname = "t"\n`, action: 'new-workers', keys: ['trunks'] },
    { name: 'live and worker keys together', next: base.replace('0.75', '0.8').replace('3600', '1800'), action: 'new-workers', keys: ['control.scale_out_cpu_share', 'sip.max_expires'] },
    { name: 'a restart key refuses the whole reload', next: `${base.replace('0.75', '0.8')}[web]\nport = 9000\n`, action: 'refuse', keys: ['control.scale_out_cpu_share', 'web.port'], restart: ['web.port'] },
    { name: 'data_dir', next: base.replace('"d"', '"e"'), action: 'refuse', keys: ['data_dir'], restart: ['data_dir'] },
  ];
  const fixed = (t: string) => (t.includes('data_dir') ? t : `data_dir = "d"\n${t}`);
  test.each(cases)('$name', ({ next, action, keys, sockets, restart }) => {
    const plan = planReload(toml(base), toml(fixed(next)));
    expect(plan.action).toBe(action as never);
    expect(plan.changes.map((c) => c.key)).toEqual(keys);
    if (sockets !== undefined) expect(plan.newSockets).toBe(sockets);
    expect(plan.restart).toEqual(restart ?? []);
  });
});
