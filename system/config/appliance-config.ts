import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { availableParallelism, hostname } from 'node:os';
import { ConfigError } from '../errors/index.ts';
import { PRIVATE_RANGES, type Cidr } from './cidr.ts';
import { openFileLimit } from './fd-limit.ts';
import { bool, cidr, cronSchedule, domainName, int, list, oneOf, secondsDividing60, str, table, type Field } from './fields.ts';
import { parseWebConfig, type WebConfig } from './web-config.ts';
import { parseLogConfig, type LogConfig } from './log-config.ts';
import { parseMetricsConfig, type MetricsConfig } from './metrics-config.ts';
import { parseBackupsConfig, type BackupsConfig } from './backups-config.ts';
import { parseHandOffSchedule, type HandOffWindowConfig } from './hand-off-schedule-config.ts';
import { parseSipTlsConfig, type SipTlsConfig } from './sip-tls-config.ts';
import { parseSipListen, type SipListenAddress } from './sip-listen-config.ts';
import { parseEmergencyConfig, parseOverloadConfig, type EmergencyConfig, type OverloadConfig } from './overload-config.ts';
import { parseCallRecordsConfig, type CallRecordsConfig } from './call-records-config.ts';
import { parseFeatureCodesConfig, parseVoicemailConfig, type FeatureCodesConfig, type VoicemailConfig } from './pbx-config.ts';
import { parseTrunkSection, type InboundConfig, type RouteConfig, type TrunkConfig } from './trunk-config.ts';
import { checkPolicyWindows, POLICY_KEYS, type PolicyKey, type PolicyOverrides } from './policy-rules.ts';
import { PEER_SIP_PATTERN } from './peer-sip.ts';

export * from './policy-rules.ts';

/** SIP transports the appliance can listen on (tls: RFC 3261 §26, `[sip.tls]`). */
export type Transport = 'udp' | 'tcp' | 'tls';

/** The validated configuration: parsed once at start (DEVELOPERS.md), then read-only. */
export interface ApplianceConfig {
  /** This appliance's name: how its peers know it (their [[peers]] name for it). */
  readonly name: string;
  /** Directory for the SQLite store and other state; absolute. */
  readonly dataDir: string;
  readonly sip: SipConfig;
  readonly dns: DnsConfig;
  readonly web: WebConfig;
  readonly control: ControlConfig;
  readonly peers: readonly PeerConfig[];
  /** SIP abuse defences (docs/SECURITY.md). */
  readonly security: SecurityConfig;
  /** Event-log retention and rate (`[log]`). */
  readonly log: LogConfig;
  /** Who may scrape `/metrics` (`[metrics]`). */
  readonly metrics: MetricsConfig;
  /** Numbers never shed (`[emergency]`). */
  readonly emergency: EmergencyConfig;
  /** How a worker judges its own load (`[overload]`). */
  readonly overload: OverloadConfig;
  /** Call detail records (`[call_records]`). */
  readonly callRecords: CallRecordsConfig;
  /** Scheduled encrypted backups (`[backups]`). */
  readonly backups: BackupsConfig;
  /** SIP provider accounts (`[[trunks]]`, trunk-config.ts). */
  readonly trunks: readonly TrunkConfig[];
  /** Outbound routes, first match wins (`[[routes]]`). */
  readonly routes: readonly RouteConfig[];
  /** Inbound numbers (`[[inbound]]`). */
  readonly inbound: readonly InboundConfig[];
  /** What phones dial to set their forwarding and DND (`[feature_codes]`, pbx-config.ts). */
  readonly featureCodes: FeatureCodesConfig;
  /** The external voicemail server (`[voicemail]`). */
  readonly voicemail: VoicemailConfig;
  /** Where the config came from ("embedded defaults" or a file path). */
  readonly source: string;
}

export interface SipConfig {
  /** The primary listen address: the first of `listenAddresses` (where one address is needed). */
  readonly listen: string;
  /**
   * Every address the SIP transports bind (`[sip] listen`, a string or a list): at most one
   * IPv4 and one IPv6 address, the primary first, each with what it advertises. The one owner
   * of the dual-stack fact (docs/SIP.md "IPv6").
   */
  readonly listenAddresses: readonly SipListenAddress[];
  readonly port: number;
  /**
   * The primary family's advertised address (Via/Record-Route/Contact): `[sip] advertise`, else
   * `listen`, or the first LAN IPv4 address (127.0.0.1) for a wildcard. Per family: `listenAddresses`.
   */
  readonly advertise: string;
  /** The office SIP domain: AORs are `sip:<extension>@<domain>`; also the digest realm. */
  readonly domain: string;
  readonly transports: readonly Transport[];
  /** Sources whose requests skip digest auth (e.g. a PSTN gateway). */
  readonly trusted: readonly Cidr[];
  /** proxy: forward statefully; redirect: answer 302 with the callee's address. */
  readonly mode: 'proxy' | 'redirect';
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  /** Seconds a digest nonce stays fresh; older nonces get stale=true (RFC 3261 §22.4). */
  readonly nonceLifetime: number;
  /**
   * Digest algorithms offered, one challenge each, in this order (RFC 8760 §2.4), to extensions
   * on the `default` digest policy. MD5 only by default: some phones (Debian's baresip 1.0) fail
   * on a SHA-256 challenge even next to an MD5 one, and sipp 3.6 answers only the first. SHA-256
   * is set per extension or learnt (appliance/sip/auth/digest-offer.ts).
   */
  readonly authAlgorithms: readonly ('MD5' | 'SHA-256')[];
  /** Bounds on SIP over TCP (docs/SECURITY.md); they bound SIP over TLS too. */
  readonly tcp: SipTcpLimits;
  /** `[sip.tls]`: port, certificate, verification of servers (used when transports has tls). */
  readonly tls: SipTlsConfig;
  /**
   * `[sip] nat_ping_interval`: seconds between OPTIONS pings to each UDP binding behind NAT,
   * keeping its pinhole open (0: off). 25 by default: RFC 4787 §4.3 REQ-5 asks NATs to keep an
   * idle UDP mapping 2 minutes, but many routers drop it after 30 s; 25 s stays below that with
   * room for one lost ping's retransmissions.
   */
  readonly natPingInterval: number;
  /** `[sip] nat_ping_failures`: pings in a row without any answer that remove the binding (0: never). */
  readonly natPingFailures: number;
  /**
   * `[sip] worker_port_base`: worker slot N puts port base + N in its Via, the same after a
   * restart, so a restarted worker receives its predecessor's responses (issue 12). Default
   * `port` + 100 (5160); 0: ports of the OS's choosing (the default when `port` is 0, tests).
   */
  readonly workerPortBase: number;
}

/** `[sip] tcp_*`: bounds on SIP over TCP, per connection control section; times in seconds. */
export interface SipTcpLimits {
  /** Open connections at most (accepted and opened by us); default min(4096, open-file limit / 2). */
  readonly maxConnections: number;
  /** Open connections from one source address at most. */
  readonly maxPerSource: number;
  /** An established connection is closed after this long without traffic; above `max_expires`. */
  readonly idleTimeout: number;
  /** A connection that carried no complete message yet is closed this long after it opened. */
  readonly firstMessageTimeout: number;
  /** A message whose first byte came must be complete this long after (slowloris). */
  readonly messageTimeout: number;
}

/** `[security]`: what the SIP side does against strangers, floods and password guessing. */
export interface SecurityConfig {
  /** Let unauthenticated, untrusted sources call our users (FreePBX "anonymous inbound"); off by default. */
  readonly anonymousInbound: boolean;
  /** Failed digest logins from one address within `failureWindow` seconds that ban it. */
  readonly banAfterFailures: number;
  readonly failureWindow: number;
  /** Requests from one address within `rateWindow` seconds that ban it (pike); 0 turns the limit off. */
  readonly rateLimit: number;
  readonly rateWindow: number;
  /** How long a ban lasts, seconds. */
  readonly banSeconds: number;
  /** Open transactions one connection control section holds at most; beyond: 503 (RFC 3261 §21.5.4). */
  readonly maxTransactions: number;
}

export interface DnsConfig {
  readonly enabled: boolean;
  readonly listen: string;
  readonly port: number;
  /** The office zone served authoritatively (e.g. office.lan). */
  readonly zone: string;
  readonly enumSuffix: string;
  readonly forwarders: readonly string[];
  /** Clients allowed to query; default loopback and private ranges. */
  readonly allow: readonly Cidr[];
  readonly ttl: number;
}

export interface ControlConfig {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** node-cron expression (six fields) for sampling the operating state. */
  readonly sampleSchedule: string;
  /**
   * Policy overrides set in the file (snake_case keys such as `scale_out_cpu_share`, camelCased
   * here); absent keys keep the policy's defaults (appliance/control/policy/settings.ts).
   */
  readonly policy: PolicyOverrides;
  /** How new work reaches the peer after a hand-off: 302 to the peer, or forwarded to it. */
  readonly handOffMode: 'redirect' | 'forward';
  /** Seconds between heartbeats to the peers. */
  readonly heartbeatSeconds: number;
  /**
   * `[control] stop_grace_seconds`: on SIGTERM each worker takes no new dialogs but keeps
   * relaying and finishing transactions this long at most (less once nothing is open), then exits.
   */
  readonly stopGraceSeconds: number;
  /** `[[control.hand_off_schedule]]`: windows in which new traffic goes to a peer (issue 19). */
  readonly handOffSchedule: readonly HandOffWindowConfig[];
}

/**
 * [control] keys renamed (old → new): the figure is a worker's CPU time over wall time, its CPU
 * share, not Bun's event-loop utilisation (issue 13 item 9). A file with an old key fails to
 * load, naming the key and its new name.
 */
export const RENAMED_CONTROL_KEYS = {
  scale_out_elu: 'scale_out_cpu_share', scale_in_elu: 'scale_in_cpu_share', host_cpu_elu: 'host_cpu_cpu_share',
  shed_target_elu: 'shed_target_cpu_share', shed_relax_elu: 'shed_relax_cpu_share',
} as const satisfies Record<string, keyof typeof POLICY_KEYS>;

export interface PeerConfig {
  readonly name: string;
  readonly url: string;
  readonly sip: string;
  /**
   * `sip_tls`: the peer's SIP-over-TLS address (its `[sip.tls] port`), host:port. Given, a
   * TLS phone the peer holds is reached through it over TLS (a `sips:` call must be, RFC 5630
   * §3.1.1); absent, over UDP to `sip`, and a `sips:` call to such a phone gets 480.
   */
  readonly sipTls?: string;
  readonly secret: string;
}

/** A port; 0 asks the OS for a free one (tests). */
const port: Field<number> = int(0, 65535);
const address = str({ pattern: /^[0-9a-fA-F:.]+$/, hint: 'an IP address' });

/**
 * Embedded defaults: start without root (SIP 5060, DNS 5300, web 8080) on all addresses.
 * The production file `config/appliance.production.toml` uses 53 for DNS.
 */
const DEFAULTS = {
  top: { data_dir: './data' },
  sip: {
    listen: '0.0.0.0', port: 5060, domain: 'office.lan', transports: ['udp', 'tcp'], trusted: [],
    mode: 'proxy', min_expires: 60, max_expires: 7200, default_expires: 3600, nonce_lifetime: 300,
    auth_algorithms: ['MD5'], nat_ping_interval: 25, nat_ping_failures: 3, worker_port_base: -1,
    // 0: derived (tcp_max_connections from the open-file limit, tcp_idle_timeout from max_expires).
    tcp_max_connections: 0, tcp_max_per_source: 64, tcp_idle_timeout: 0, tcp_first_message_timeout: 30, tcp_message_timeout: 10,
  },
  dns: {
    enabled: true, listen: '0.0.0.0', port: 5300, zone: 'office.lan', enum_suffix: 'e164.arpa',
    forwarders: [], ttl: 60,
  },
  security: {
    anonymous_inbound: false, ban_after_failures: 5, failure_window: 300, rate_limit: 600, rate_window: 2,
    ban_seconds: 1800, max_transactions: 100000,
  },
  control: { sample_schedule: '*/2 * * * * *' },
};

/** Parses and validates TOML text; `baseDir` resolves a relative data_dir. */
export function parseConfig(text: string, source: string, baseDir = process.cwd()): ApplianceConfig {
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (err) {
    throw new ConfigError('(file)', `${source} is not valid TOML: ${(err as Error).message}`);
  }
  return validate(raw as Record<string, unknown>, source, baseDir);
}

/** Loads the config from a TOML file, or the embedded defaults when `path` is undefined. */
export function loadConfig(path?: string): ApplianceConfig {
  if (path === undefined) return validate({}, 'embedded defaults', process.cwd());
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseConfig(text, path, dirname(resolve(path)));
}

function validate(raw: Record<string, unknown>, source: string, baseDir: string): ApplianceConfig {
  const top = table(raw, '', {
    name: str({ pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: 'a name of letters, digits, . _ -' }), data_dir: str(), sip: pass, dns: pass, web: pass, control: pass, peers: pass, security: pass, log: pass, metrics: pass,
    emergency: pass, overload: pass, call_records: pass, backups: pass, trunks: pass, routes: pass, inbound: pass, feature_codes: pass, voicemail: pass,
  }, { ...DEFAULTS.top, feature_codes: {}, voicemail: {}, security: {}, log: {}, metrics: {}, emergency: {}, overload: {}, call_records: {}, backups: {}, trunks: [], routes: [], inbound: [], name: hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'appliance', sip: {}, dns: {}, web: {}, control: {}, peers: [] });

  const sip = table(top.sip, 'sip', {
    listen: pass, port, advertise: pass, domain: domainName,
    transports: list(oneOf<Transport>('udp', 'tcp', 'tls'), { nonEmpty: true }), tls: pass,
    trusted: list(cidr), mode: oneOf('proxy', 'redirect'),
    min_expires: int(1, 3600) /* a 423 may only ask for less than an hour (RFC 3261 §10.3 step 7) */, max_expires: int(1, 604800), default_expires: int(1, 604800),
    nonce_lifetime: int(10, 86400), auth_algorithms: list(oneOf('MD5', 'SHA-256'), { nonEmpty: true }),
    tcp_max_connections: int(0, 1 << 20), tcp_max_per_source: int(1, 65535), tcp_idle_timeout: int(0, 608400),
    tcp_first_message_timeout: int(1, 3600), tcp_message_timeout: int(1, 300),
    nat_ping_interval: int(0, 3600), nat_ping_failures: int(0, 100), worker_port_base: ((v, key) => (v === -1 ? -1 : port(v, key))) as Field<number>,
  }, { ...DEFAULTS.sip, advertise: null, tls: {} });
  const listen = parseSipListen(sip.listen, sip.advertise ?? undefined).addresses;
  if (sip.min_expires > sip.max_expires) throw new ConfigError('sip.min_expires', 'is larger than sip.max_expires');
  if (sip.default_expires < sip.min_expires || sip.default_expires > sip.max_expires) {
    throw new ConfigError('sip.default_expires', 'must lie between sip.min_expires and sip.max_expires');
  }

  const dns = table(top.dns, 'dns', {
    enabled: bool, listen: address, port, zone: domainName, enum_suffix: domainName,
    forwarders: list(str({ pattern: /^[0-9a-fA-F:.]+(#\d+)?$/, hint: 'an address or address#port' })),
    allow: list(cidr), ttl: int(0, 86400),
  }, { ...DEFAULTS.dns, allow: PRIVATE_RANGES.map((c) => c.text) });

  const web = parseWebConfig(top.web, baseDir);
  const log = parseLogConfig(top.log);
  const metrics = parseMetricsConfig(top.metrics);
  const outside = parseTrunkSection(top, sip.transports);
  const emergency = parseEmergencyConfig(top.emergency, outside.trunks);
  const overload = parseOverloadConfig(top.overload);
  const callRecords = parseCallRecordsConfig(top.call_records);

  const security = table(top.security, 'security', {
    anonymous_inbound: bool, ban_after_failures: int(1, 1000), failure_window: int(1, 86400),
    rate_limit: int(0, 1_000_000), rate_window: int(1, 60), ban_seconds: int(1, 30 * 86400), max_transactions: int(100, 1_000_000),
  }, DEFAULTS.security);

  const cores = availableParallelism();
  const policyDefaults = Object.fromEntries(Object.keys(POLICY_KEYS).map((k) => [k, NaN]));
  const control = table(top.control, 'control', {
    min_workers: int(1, 64), max_workers: int(1, 64), sample_schedule: cronSchedule,
    hand_off_mode: oneOf('redirect', 'forward'), heartbeat_seconds: secondsDividing60, stop_grace_seconds: int(0, 300), hand_off_schedule: pass,
    ...Object.fromEntries(Object.entries(POLICY_KEYS).map(([k, f]) => [k, ((v, key) => (Number.isNaN(v) ? NaN : f(v, key))) as Field<number>])),
  }, { ...DEFAULTS.control, max_workers: cores, min_workers: 1, hand_off_mode: 'redirect', heartbeat_seconds: 2, stop_grace_seconds: 10, hand_off_schedule: [], ...policyDefaults }, RENAMED_CONTROL_KEYS);
  const policy: Record<string, number> = {};
  for (const k of Object.keys(POLICY_KEYS)) {
    const v = (control as Record<string, unknown>)[k] as number;
    if (!Number.isNaN(v)) policy[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  checkPolicyWindows((k) => policyValue(control, k));
  if (control.min_workers > control.max_workers) throw new ConfigError('control.min_workers', 'is larger than control.max_workers');
  // Not set: 2 where the cores and max_workers allow, so that while one worker is respawned
  // after a crash the other answers (issue 12).
  const minGiven = typeof top.control === 'object' && top.control !== null && 'min_workers' in top.control;
  const minWorkers = minGiven ? control.min_workers : Math.min(2, cores, control.max_workers);

  const hostPort = str({ pattern: PEER_SIP_PATTERN, hint: 'host:port' });
  const peers = list((v, key): PeerConfig => {
    const p = table(v, key, {
      name: str({ pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: 'a name of letters, digits, . _ -' }),
      url: str({ pattern: /^https?:\/\/\S+$/, hint: 'an http(s) URL' }),
      sip: hostPort,
      // TOML has no null: only the default gives it.
      sip_tls: ((x, k) => (x === null ? null : hostPort(x, k))) as Field<string | null>,
      secret: str({ pattern: /^.{16,}$/, hint: 'a secret of at least 16 characters' }),
    }, { sip_tls: null });
    return { name: p.name, url: p.url, sip: p.sip, secret: p.secret, ...(p.sip_tls !== null ? { sipTls: p.sip_tls } : {}) };
  })(top.peers, 'peers');

  return {
    source,
    name: top.name,
    dataDir: resolve(baseDir, top.data_dir),
    sip: {
      listen: listen[0].address, listenAddresses: listen, port: sip.port, advertise: listen[0].advertise, domain: sip.domain,
      transports: sip.transports, trusted: sip.trusted, mode: sip.mode,
      minExpires: sip.min_expires, maxExpires: sip.max_expires, defaultExpires: sip.default_expires,
      nonceLifetime: sip.nonce_lifetime, authAlgorithms: [...new Set(sip.auth_algorithms)], tcp: tcpLimits(sip),
      tls: parseSipTlsConfig(sip.tls, baseDir, sip.port),
      natPingInterval: sip.nat_ping_interval, natPingFailures: sip.nat_ping_failures, workerPortBase: workerPortBase(sip.worker_port_base, sip.port, control.max_workers),
    },
    dns: {
      enabled: dns.enabled, listen: dns.listen, port: dns.port, zone: dns.zone, enumSuffix: dns.enum_suffix,
      forwarders: dns.forwarders, allow: dns.allow, ttl: dns.ttl,
    },
    web,
    log,
    metrics,
    emergency,
    overload,
    callRecords,
    backups: parseBackupsConfig(top.backups, baseDir, resolve(baseDir, top.data_dir)),
    trunks: outside.trunks, routes: outside.routes, inbound: outside.inbound,
    featureCodes: parseFeatureCodesConfig(top.feature_codes), voicemail: parseVoicemailConfig(top.voicemail),
    control: { minWorkers, maxWorkers: control.max_workers, sampleSchedule: control.sample_schedule, policy,
      handOffMode: control.hand_off_mode, heartbeatSeconds: control.heartbeat_seconds, stopGraceSeconds: control.stop_grace_seconds,
      handOffSchedule: parseHandOffSchedule(control.hand_off_schedule, peers.map((p) => p.name)) },
    peers,
    security: {
      anonymousInbound: security.anonymous_inbound, banAfterFailures: security.ban_after_failures, failureWindow: security.failure_window,
      rateLimit: security.rate_limit, rateWindow: security.rate_window, banSeconds: security.ban_seconds, maxTransactions: security.max_transactions,
    },
  };
}

const pass: Field<unknown> = (v) => v;

/** File descriptors kept for everything but SIP over TCP (UDP, DNS, SQLite, IPC, the listener). */
const RESERVED_FDS = 64;

/**
 * Resolves the derived `tcp_*` defaults and checks them against the host: more connections than
 * open files makes accept fail with EMFILE (Bun then spins on the listener: measured), and an
 * idle timeout not above `max_expires` would cut a registered phone's connection.
 */
function tcpLimits(sip: { max_expires: number; tcp_max_connections: number; tcp_max_per_source: number; tcp_idle_timeout: number;
  tcp_first_message_timeout: number; tcp_message_timeout: number }): SipTcpLimits {
  const files = openFileLimit();
  const maxConnections = sip.tcp_max_connections || Math.max(1, Math.min(4096, Math.floor(files / 2), files - RESERVED_FDS));
  if (sip.tcp_max_connections > files - RESERVED_FDS) {
    throw new ConfigError('sip.tcp_max_connections', `${maxConnections} does not fit the open-file limit (${files}, ${RESERVED_FDS} kept for the rest); raise ulimit -n or lower it`);
  }
  const idleTimeout = sip.tcp_idle_timeout || sip.max_expires + 60;
  if (idleTimeout <= sip.max_expires) {
    throw new ConfigError('sip.tcp_idle_timeout', `must be above sip.max_expires (${sip.max_expires}): a phone registered over TCP keeps its connection until it re-registers`);
  }
  return {
    maxConnections, maxPerSource: Math.min(sip.tcp_max_per_source, maxConnections), idleTimeout,
    firstMessageTimeout: sip.tcp_first_message_timeout, messageTimeout: sip.tcp_message_timeout,
  };
}

/**
 * `[sip] worker_port_base`, checked: the slots' ports must fit below 65536 ('-1' = derived).
 * Twice `max_workers` slots: during a reload or an upgrade a new generation of workers runs
 * beside the draining old one (appliance/control/worker-generations.ts).
 */
function workerPortBase(given: number, sipPort: number, maxWorkers: number): number {
  const base = given >= 0 ? given : sipPort === 0 ? 0 : sipPort + 100;
  if (base !== 0 && base + 2 * maxWorkers > 65535) throw new ConfigError('sip.worker_port_base', `leaves no room for ${maxWorkers} workers (and as many while they are replaced) below port 65536`);
  return base;
}

/** A [control] policy key as the file set it (undefined: absent, the default applies). */
function policyValue(control: object, key: PolicyKey): number | undefined {
  const v = (control as Record<string, unknown>)[key];
  return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
}
