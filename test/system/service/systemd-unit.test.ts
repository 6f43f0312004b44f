import { describe, expect, test } from 'bun:test';
import { systemdUnit, type ServiceUnitOptions } from '../../../system/service/systemd-unit.ts';

const BASE: ServiceUnitOptions = {
  command: ['/usr/local/bin/office-appliance'], configPath: '/etc/office-appliance/appliance.toml',
  dataDir: '/var/lib/office-appliance', user: 'office-appliance', group: 'office-appliance', stopGraceSeconds: 10,
};

/** The unit's `Key=value` lines of one section. */
function section(unit: string, name: string): Map<string, string> {
  const body = unit.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  return new Map(body.split('\n').filter((l) => /^[A-Z]\w*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('systemdUnit', () => {
  const service = section(systemdUnit(BASE), 'Service');

  test.each([
    ['User', 'office-appliance'],
    ['Group', 'office-appliance'],
    ['ExecStart', '/usr/local/bin/office-appliance --config /etc/office-appliance/appliance.toml'],
    ['AmbientCapabilities', 'CAP_NET_BIND_SERVICE'],
    ['CapabilityBoundingSet', 'CAP_NET_BIND_SERVICE'],
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ReadWritePaths', '/var/lib/office-appliance'],
    ['WorkingDirectory', '/var/lib/office-appliance'],
    ['Restart', 'on-failure'],
    ['StandardOutput', 'journal'],
    ['StandardError', 'journal'],
    ['KillMode', 'mixed'],
    ['TimeoutStopSec', '20s'],
    ['ExecReload', '/bin/kill -HUP $MAINPID'],
    ['NotifyAccess', 'all'],
  ])('%s=%s', (key, value) => {
    expect(service.get(key)).toBe(value);
  });

  test('from source: bun and main.ts; the stop timeout follows stop_grace_seconds', () => {
    const s = section(systemdUnit({ ...BASE, command: ['/usr/bin/bun', '/opt/appliance/appliance/main.ts'], stopGraceSeconds: 45.5 }), 'Service');
    expect(s.get('ExecStart')).toBe('/usr/bin/bun /opt/appliance/appliance/main.ts --config /etc/office-appliance/appliance.toml');
    expect(s.get('TimeoutStopSec')).toBe('56s');
  });

  test('installed for boot', () => {
    expect(section(systemdUnit(BASE), 'Install').get('WantedBy')).toBe('multi-user.target');
  });

  // A path or name that systemd would split, expand or read as a new directive is refused, named.
  test.each([
    ['a newline adding a directive', { dataDir: '/var/lib/x\nExecStartPre=/bin/sh -c evil' }, 'data_dir'],
    ['a space (two paths for ReadWritePaths)', { dataDir: '/var/lib/office appliance' }, 'data_dir'],
    ['a % specifier', { configPath: '/etc/%h/appliance.toml' }, '--config'],
    ['a $ variable', { configPath: '/etc/$HOME.toml' }, '--config'],
    ['a quote', { command: ['/usr/local/bin/office"appliance'] }, 'executable'],
    ['a relative path', { dataDir: 'data' }, 'data_dir'],
    ['the root as data dir', { dataDir: '/' }, 'data_dir'],
    ['a user with a newline', { user: 'office\nUser=root' }, '--user'],
    ['an upper-case user', { user: 'Root' }, '--user'],
    ['an empty command', { command: [] }, 'command'],
  ] as const)('refuses %s', (_name, change, field) => {
    expect(() => systemdUnit({ ...BASE, ...change })).toThrow(expect.objectContaining({ code: 'invalid-input', field }));
  });
});
