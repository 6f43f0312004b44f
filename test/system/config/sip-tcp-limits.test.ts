import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { parseConfig } from '../../../system/config/index.ts';
import { openFileLimit } from '../../../system/config/fd-limit.ts';
import { ConfigError } from '../../../system/errors/index.ts';

/** [sip] tcp_* keys: defaults derived from the host and max_expires, ranges naming the key. */
const parse = (sip: string) => parseConfig(`[sip]\n${sip}`, 'test.toml', '/srv/appliance');
function errorOf(sip: string): ConfigError {
  try {
    parse(sip);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

describe('[sip] tcp_* defaults', () => {
  test('per source 64, message 10 s, first message 30 s, idle max_expires + 60, total min(4096, files / 2)', () => {
    const files = openFileLimit();
    expect(parse('').sip.tcp).toEqual({
      maxConnections: Math.min(4096, Math.floor(files / 2)), maxPerSource: 64, idleTimeout: 7260, firstMessageTimeout: 30, messageTimeout: 10,
    });
  });
  test('the idle timeout follows max_expires', () => expect(parse('max_expires = 600\ndefault_expires = 300').sip.tcp.idleTimeout).toBe(660));
  test('set values are kept', () => {
    expect(parse('tcp_max_connections = 100\ntcp_max_per_source = 8\ntcp_idle_timeout = 9000\ntcp_first_message_timeout = 5\ntcp_message_timeout = 3').sip.tcp)
      .toEqual({ maxConnections: 100, maxPerSource: 8, idleTimeout: 9000, firstMessageTimeout: 5, messageTimeout: 3 });
  });
  test('a per-source cap above the total is the total', () => {
    expect(parse('tcp_max_connections = 10\ntcp_max_per_source = 64').sip.tcp.maxPerSource).toBe(10);
  });
});

describe('[sip] tcp_* errors name the key', () => {
  const rows: [string, string, RegExp][] = [
    ['tcp_max_per_source = 0', 'sip.tcp_max_per_source', /1\.\.65535/],
    ['tcp_message_timeout = 0', 'sip.tcp_message_timeout', /1\.\.300/],
    ['tcp_message_timeout = 2.5', 'sip.tcp_message_timeout', /integer/],
    ['tcp_first_message_timeout = "30"', 'sip.tcp_first_message_timeout', /integer/],
    ['tcp_idle_timeout = 3600', 'sip.tcp_idle_timeout', /above sip\.max_expires \(7200\)/],
    ['tcp_idle_timeout = 7200', 'sip.tcp_idle_timeout', /above sip\.max_expires/],
    ['tcp_max_connections = 1048576', 'sip.tcp_max_connections', /open-file limit/],
  ];
  for (const [line, key, message] of rows) {
    test(line, () => {
      const e = errorOf(line);
      expect(e.key).toBe(key);
      expect(e.message).toMatch(message);
    });
  }
});

test('under `ulimit -n 512` the total defaults to 256, and 500 is refused for the host', async () => {
  const script = `import { parseConfig } from ${JSON.stringify(join(import.meta.dir, '../../../system/config/index.ts'))};
console.log(parseConfig('', 't').sip.tcp.maxConnections);
try { parseConfig('[sip]\\ntcp_max_connections = 500', 't'); console.log('accepted'); } catch (e) { console.log(e.key); }`;
  const p = Bun.spawn(['sh', '-c', `ulimit -n 512 && exec "${process.execPath}" -e "$0"`, script], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  expect(out.trim().split('\n')).toEqual(['256', 'sip.tcp_max_connections']);
});
