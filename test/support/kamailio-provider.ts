import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from './require-tool.ts';

/**
 * A real SIP provider for the trunk tests (issue 14): Kamailio 5.6 (Debian `kamailio`) started
 * with a config written to a temp dir. It is the registrar (usrloc in memory) of the provider
 * domain, challenges the trunk account with digest (plaintext password, `pv_www_authenticate`
 * / `pv_proxy_authenticate`, no DB), answers a wrong password with 403, relays calls from
 * the trunk for numbers to a sipp UAS ("the outside world"), and calls from the outside world
 * to the trunk's number to the contact the appliance registered (inbound).
 */
export interface KamailioProviderOptions {
  /** Listen address (127.0.180.2 in the trunk tests); UDP and TCP. */
  readonly address: string;
  readonly port?: number;
  /** The provider's SIP domain (the digest realm too). */
  readonly domain: string;
  /** The trunk account: user part of its AOR, and its plaintext password. */
  readonly username: string;
  readonly password: string;
  /** Registrar bounds (registrar `min_expires` with `min_expires_mode` 1: a shorter request gets 423). */
  readonly minExpires?: number;
  readonly maxExpires?: number;
  /** Digest algorithm of the challenges (auth module `algorithm`): MD5 by default. */
  readonly algorithm?: 'MD5' | 'SHA-256';
  /** "The outside world": where calls for numbers go (a sipp UAS), host:port. */
  readonly outside?: string;
  /** Answer every authenticated outbound call with this instead of relaying it, e.g. "503 Service Unavailable" (a provider in trouble). */
  readonly refuseCalls?: string;
  /** Challenge a re-INVITE from the trunk inside a call too (407, as for the INVITE: RFC 3261 §22.3). */
  readonly challengeInDialog?: boolean;
  /**
   * Also SIP over TLS (Debian `kamailio-tls-modules`) on this port with this certificate and
   * key (PEM files); the provider opens TLS to us without checking our certificate.
   */
  readonly tls?: { readonly port: number; readonly cert: string; readonly key: string };
  /** Source address of the readiness OPTIONS (default 127.0.180.9): a test keeps to its own addresses. */
  readonly probeAddress?: string;
}

export interface KamailioProvider {
  readonly address: string;
  readonly port: number;
  /** Everything Kamailio logged so far (xlog lines name each REGISTER's outcome). */
  log(): string;
  /** Waits until the log has a line matching `re` (bounded). */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** The Kamailio binary, or undefined when it is not installed. */
export function kamailioBinary(): string | undefined {
  return findTool('kamailio');
}

/** The config text (exported for the reader: this is the provider the tests talk to). */
export function providerConfig(o: KamailioProviderOptions): string {
  const q = (s: string) => s.replace(/["\\]/g, '');
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
alias="${q(o.domain)}"
dns=no
rev_dns=no
use_dns_cache=off
tcp_children=2
${o.tls ? 'enable_tls=yes\n' : ''}
loadpath "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "auth.so"
${o.tls ? `loadmodule "tls.so"\nmodparam("tls", "config", "${q(o.tls.cert)}.tls.cfg")\n` : ''}
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", ${o.minExpires ?? 10})
modparam("registrar", "min_expires_mode", 1)
modparam("registrar", "max_expires", ${o.maxExpires ?? 3600})
modparam("registrar", "default_expires", 3600)
modparam("auth", "secret", "provider-test-secret")
modparam("auth", "nonce_expire", 300)
modparam("auth", "algorithm", "${o.algorithm ?? 'MD5'}")
modparam("tm", "fr_timer", 5000)
modparam("tm", "fr_inv_timer", 30000)

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (!sanity_check("17895", "7")) { exit; }
	if (has_totag()) {
${o.challengeInDialog ? `		# The ACK of our own 407 to a re-INVITE (sent statefully below) ends here, hop by hop.
		if (is_method("ACK")) { t_check_trans(); }
` : ''}		if (loose_route()) {
${o.challengeInDialog ? `			if (is_method("INVITE") && $si != "${q(outsideHost(o.outside))}") {
				$var(rc) = pv_proxy_authenticate("$fd", "${q(o.password)}", "0");
				if ($var(rc) < 0) { xlog("L_NOTICE", "provider: re-INVITE challenged\\n"); t_newtran(); proxy_challenge("$fd", "1"); exit; }
				consume_credentials();
				xlog("L_NOTICE", "provider: re-INVITE authenticated\\n");
			}
` : ''}			route(RELAY);
			exit;
		}
		if (is_method("ACK")) { if (t_check_trans()) { route(RELAY); } exit; }
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) { route(RELAY); } exit; }
	if (t_precheck_trans()) { t_check_trans(); exit; }
	t_check_trans();
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "OK"); exit; }
	if (is_method("REGISTER")) { route(REGISTRAR); exit; }
	if (is_method("INVITE")) { record_route(); }
	if ($si == "${q(outsideHost(o.outside))}") { route(INBOUND); exit; }
	route(OUTBOUND);
}

# The trunk account registers; a wrong password is refused with the provider's reason.
route[REGISTRAR] {
	xlog("L_NOTICE", "provider: REGISTER $tU over $proto at $TV(Sn)\\n");
	$var(rc) = pv_www_authenticate("$td", "${q(o.password)}", "0");
	if ($var(rc) == -2) {
		xlog("L_NOTICE", "provider: REGISTER $tu from $si:$sp: wrong password\\n");
		sl_send_reply("403", "Wrong password");
		exit;
	}
	if ($var(rc) < 0) {
		www_challenge("$td", "1");
		exit;
	}
	if ($au != "${q(o.username)}" || $tU != "${q(o.username)}") {
		sl_send_reply("403", "Not this account");
		exit;
	}
	consume_credentials();
	if (!save("location")) { sl_reply_error(); exit; }
	xlog("L_NOTICE", "provider: registered $tu contact $ct expires $hdr(Expires) from $si:$sp over $proto at $TV(Sn)\\n");
	exit;
}

# Calls from the trunk for numbers: authenticated (407), then to the outside world.
route[OUTBOUND] {
	$var(rc) = pv_proxy_authenticate("$fd", "${q(o.password)}", "0");
	if ($var(rc) < 0) {
		if ($var(rc) == -2) { sl_send_reply("403", "Wrong password"); exit; }
		proxy_challenge("$fd", "1");
		exit;
	}
	consume_credentials();
	if (!($rU =~ "^\\\\+?[0-9]+$")) { sl_send_reply("404", "Not a number"); exit; }
${o.refuseCalls ? `	xlog("L_NOTICE", "provider: refused $rU with ${q(o.refuseCalls)}\\n");\n	sl_send_reply("${o.refuseCalls.split(' ')[0]}", "${q(o.refuseCalls.split(' ').slice(1).join(' '))}");\n	exit;` : ''}
	xlog("L_NOTICE", "provider: outbound $rU from $fu (PAI $hdr(P-Asserted-Identity))\\n");
	$du = "sip:${q(o.outside ?? '127.0.0.1:9')}";
	route(RELAY);
}

# Calls from the outside world to the trunk's number: to the contact the appliance registered.
route[INBOUND] {
	$ru = "sip:${q(o.username)}@${q(o.domain)}";
	if (!lookup("location")) { t_newtran(); t_reply("480", "Trunk not registered"); exit; }
	xlog("L_NOTICE", "provider: inbound to $ru\\n");
	route(RELAY);
}

onreply_route {
	xlog("L_NOTICE", "provider: reply $rs $rm from $si:$sp\\n");
}

route[RELAY] {
	if (!t_relay()) { sl_reply_error(); }
	exit;
}
`;
}

/** Sends OPTIONS from an ephemeral port of 127.0.180.9 every 200 ms until a 200 comes back (bounded). */
async function answersOptions(address: string, port: number, alive: () => boolean, timeoutMs: number, probe = '127.0.180.9'): Promise<boolean> {
  const sock = createSocket('udp4');
  let ok = false;
  sock.on('message', (m) => { if (m.toString('latin1').startsWith('SIP/2.0 200')) ok = true; });
  await new Promise<void>((resolve) => sock.bind(0, probe, resolve));
  const local = sock.address().port;
  const until = Date.now() + timeoutMs;
  try {
    for (let i = 0; !ok && alive() && Date.now() < until; i++) {
      const msg = [`OPTIONS sip:${address}:${port} SIP/2.0`, `Via: SIP/2.0/UDP ${probe}:${local};branch=z9hG4bK-probe${i}`, 'Max-Forwards: 70',
        `From: <sip:probe@${probe}>;tag=p${i}`, `To: <sip:${address}>`, `Call-ID: probe-${i}-${local}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n');
      sock.send(msg, port, address);
      await Bun.sleep(200);
    }
    return ok;
  } finally {
    sock.close();
  }
}

/** Waits (bounded) until a TCP listener can bind address:port again. */
async function portFree(address: string, port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, address, () => srv.close(() => resolve(true)));
    });
    if (free) return;
    await Bun.sleep(50);
  }
}

function outsideHost(outside: string | undefined): string {
  if (!outside) return '0.0.0.0';
  return outside.replace(/:\d+$/, '');
}

/** Starts Kamailio with `providerConfig`; resolves once it answers (its "listening on" line). */
export async function startKamailioProvider(o: KamailioProviderOptions): Promise<KamailioProvider> {
  const bin = kamailioBinary();
  if (!bin) throw new Error('kamailio is not installed (Debian package kamailio, see .ci/run)');
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-provider-'));
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  const port = o.port ?? 5060;
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, providerConfig(o));
  // tls.cfg next to the certificate (providerConfig names it so): the server side's certificate;
  // as a client (calls to our TLS Contact) it checks nothing.
  if (o.tls) {
    writeFileSync(`${o.tls.cert}.tls.cfg`, [`[server:default]`, 'method = TLSv1.2+', `certificate = ${o.tls.cert}`, `private_key = ${o.tls.key}`, 'verify_certificate = no', 'require_certificate = no', '',
      '[client:default]', 'method = TLSv1.2+', 'verify_certificate = no', 'require_certificate = no', ''].join('\n'));
  }
  const logFile = join(dir, 'kamailio.log');
  const out = Bun.file(logFile);
  // -DD -E: foreground, log to stderr (our file); small memory; its own run dir (pid, sockets).
  const proc = Bun.spawn([bin, '-f', cfg, '-DD', '-E', '-l', `udp:${o.address}:${port}`, '-l', `tcp:${o.address}:${port}`, ...(o.tls ? ['-l', `tls:${o.address}:${o.tls.port}`] : []), '-Y', runDir, '-m', '64', '-M', '8', '-w', dir], {
    cwd: dir, stdout: out, stderr: out,
  });
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const waitForLog = async (re: RegExp, timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (re.test(log())) return true;
      if (proc.exitCode !== null) return false;
      await Bun.sleep(50);
    }
    return re.test(log());
  };
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!exited) proc.kill('SIGKILL');
      await proc.exited;
    }
    // Its forked children can outlive the main process (seen: one kept the TCP listener, and
    // the provider started again on that port failed): end every process of this config.
    try {
      Bun.spawnSync(['pkill', '-9', '-f', cfg]);
    } catch {
      // no pkill (procps) on this machine: the wait below still gives them time
    }
    await portFree(o.address, port, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when it answers an OPTIONS (its children are forked after the config is parsed).
  if (!(await answersOptions(o.address, port, () => proc.exitCode === null, 10_000, o.probeAddress))) {
    const text = log();
    await stop();
    throw new Error(`kamailio did not answer OPTIONS within 10 s; log:\n${text.slice(-3000)}`);
  }
  return { address: o.address, port, log, waitForLog, stop };
}

/**
 * The appliance's side of the test provider: the `[[trunks]]` entry "provider" (account
 * 5551230000, caller ID +15551230000) and the "national" route through it, as config lines.
 */
export function providerTrunk(registrar: string, password: string): string[] {
  return [
    '[[trunks]]', 'name = "provider"', `registrar = "${registrar}"`, 'username = "5551230000"', `password = "${password}"`,
    'domain = "provider.example"', 'caller_id = "+15551230000"',
    '[[routes]]', 'name = "national"', 'pattern = "^9(1[2-9][0-9]{9})$"', 'replace = "+$1"', 'trunk = "provider"', 'class = "national"',
  ];
}
