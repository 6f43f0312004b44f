import { describe, expect, test } from 'bun:test';
import { parseConfig } from '../../../system/config/index.ts';

const parse = (sip: string) => parseConfig(`data_dir = "/tmp/x"\n[sip]\n${sip}\n`, 'test');

describe('[sip] nat_ping_interval and nat_ping_failures', () => {
  test('defaults: a ping every 25 s, a binding removed after 3 lost in a row', () => {
    expect(parse('')).toMatchObject({ sip: { natPingInterval: 25, natPingFailures: 3 } });
  });
  const ok: [string, number, number][] = [['nat_ping_interval = 0\nnat_ping_failures = 0', 0, 0], ['nat_ping_interval = 3600\nnat_ping_failures = 100', 3600, 100]];
  for (const [text, interval, failures] of ok) {
    test(`accepted: ${text.replace('\n', ', ')}`, () => expect(parse(text).sip).toMatchObject({ natPingInterval: interval, natPingFailures: failures }));
  }
  const bad: [string, string][] = [
    ['nat_ping_interval = -1', 'sip.nat_ping_interval'], ['nat_ping_interval = 3601', 'sip.nat_ping_interval'],
    ['nat_ping_interval = 2.5', 'sip.nat_ping_interval'], ['nat_ping_interval = "25"', 'sip.nat_ping_interval'],
    ['nat_ping_failures = -1', 'sip.nat_ping_failures'], ['nat_ping_failures = 101', 'sip.nat_ping_failures'],
  ];
  for (const [text, key] of bad) test(`refused, naming the key: ${text}`, () => expect(() => parse(text)).toThrow(key));
});
