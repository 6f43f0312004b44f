/**
 * The appliance config the benches run it with (bench/sip-cps, bench/faults, bench/reg-memory):
 * UDP only on one address, the load generators trusted, DNS off, the web UI on the same address.
 * `extra` lines are appended (e.g. a `[control]` or `[security]` table).
 */
export function benchApplianceToml(o: {
  dataDir: string; host: string; port: number; trusted: readonly string[]; webPort: number; domain?: string; extra?: readonly string[];
}): string {
  return [
    `data_dir = "${o.dataDir}"`,
    '[sip]',
    `listen = "${o.host}"`,
    `port = ${o.port}`,
    `domain = "${o.domain ?? 'office.lan'}"`,
    'transports = ["udp"]',
    `trusted = [${o.trusted.map((a) => `"${a}/32"`).join(', ')}]`,
    '[dns]',
    'enabled = false',
    '[web]',
    `listen = "${o.host}"`,
    `port = ${o.webPort}`,
    ...(o.extra ?? []),
    '',
  ].join('\n');
}
