import { ValidationError } from '../errors/index.ts';

/** What the unit runs and where (every path absolute). */
export interface ServiceUnitOptions {
  /** ExecStart's words: the executable, or bun and appliance/main.ts from source. */
  readonly command: readonly string[];
  /** The config file passed with `--config`. */
  readonly configPath: string;
  /** `data_dir`: the only place the service may write. */
  readonly dataDir: string;
  /** The system user it runs as, and its group. */
  readonly user: string;
  readonly group: string;
  /** `[control] stop_grace_seconds`: how long a stop may drain calls before systemd kills. */
  readonly stopGraceSeconds: number;
}

/** A system user name (useradd's rule, conservatively). */
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
/**
 * Paths go into the unit unquoted: anything systemd would split, unquote, expand or treat as
 * a new line (whitespace, quotes, backslash, `%` specifiers, `$` variables, `;`) is refused
 * rather than escaped, so a path can never add a directive.
 */
const PATH = /^\/[A-Za-z0-9/._+:@,=-]*$/;

function checkPath(value: string, field: string): string {
  if (!PATH.test(value)) throw new ValidationError(`${field}: ${JSON.stringify(value)} must be an absolute path of letters, digits and / . _ + : @ , = - (no spaces, quotes, % or $)`, field);
  return value;
}

/**
 * The systemd unit of the appliance (systemd.service(5), systemd.exec(5)): its own user, port
 * 5060/53 without root through the one ambient capability, a read-only system except the data
 * dir, restarted on failure, output to journald. Stop: SIGTERM to the control section only
 * (KillMode=mixed), which drains its workers itself for `stop_grace_seconds`; systemd kills
 * what is left after that plus a margin. Reload: SIGHUP (the config re-read); SIGUSR2 upgrades:
 * the new control section tells systemd it is the main process now (MAINPID over the notify
 * socket, hence NotifyAccess=all), so the old one's exit does not stop the service.
 */
export function systemdUnit(o: ServiceUnitOptions): string {
  if (!USER.test(o.user)) throw new ValidationError(`--user: ${JSON.stringify(o.user)} is not a system user name (a-z, 0-9, _ and -, at most 32)`, '--user');
  if (!USER.test(o.group)) throw new ValidationError(`group: ${JSON.stringify(o.group)} is not a group name`, 'group');
  if (o.command.length === 0) throw new ValidationError('the command is empty', 'command');
  const command = o.command.map((w, i) => checkPath(w, i === 0 ? 'executable' : 'command'));
  const config = checkPath(o.configPath, '--config');
  const data = checkPath(o.dataDir, 'data_dir');
  if (data === '/') throw new ValidationError('data_dir: / cannot be the data directory of a service', 'data_dir');
  const stopSeconds = Math.ceil(o.stopGraceSeconds) + 10;
  return `# Office SIP appliance: written by \`office-appliance install\` (docs/IMAGE.md).
[Unit]
Description=Office SIP appliance (registrar, stateful proxy, DNS function)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
Group=${o.group}
ExecStart=${[...command, '--config', config].join(' ')}
ExecReload=/bin/kill -HUP $MAINPID
NotifyAccess=all
WorkingDirectory=${data}
Restart=on-failure
RestartSec=2s
KillMode=mixed
TimeoutStopSec=${stopSeconds}s
StandardOutput=journal
StandardError=journal
SyslogIdentifier=office-appliance
LimitNOFILE=65536
UMask=0077

# Ports below 1024 (SIP 5060, DNS 53) without root, and nothing else.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${data}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
SystemCallArchitectures=native
# No MemoryDenyWriteExecute: the JavaScript JIT needs writable, executable pages.

[Install]
WantedBy=multi-user.target
`;
}
