import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeToneWav } from './baresip.ts';

/** A linphonec (Debian linphone-cli) phone with its own rc file and HOME, driven on stdin. */
export interface LinphonePhone {
  readonly user: string;
  /** linphonec's console output and its log (`-d 6`, oRTP statistics included). */
  log(): string;
  send(command: string): void;
  /** Waits until the log matches `re` (after `from` characters), or throws with the log tail. */
  waitFor(re: RegExp, ms?: number, from?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** The phone's address and ports, its account, the appliance and the transport. */
export interface LinphoneOptions {
  readonly ip: string;
  readonly port: number;
  readonly rtpPort: number;
  readonly user: string;
  readonly password: string;
  readonly domain: string;
  /** `host:port` of the appliance. */
  readonly proxy: string;
  readonly transport?: 'udp' | 'tcp' | 'tls';
  /** REGISTER expiry in seconds (default 3600). */
  readonly expires?: number;
  /** TLS: PEM file of the CA the appliance's certificate must chain to (rc `root_ca`, `verify_server_certs=1`). */
  readonly rootCa?: string;
  /**
   * TLS: also match the certificate's names against the proxy host (`verify_server_cn`, default
   * off): belle-sip 5.1 (mbedTLS 2) matches DNS names only, so a numeric proxy is a "CN-mismatch"
   * even though the certificate lists the address.
   */
  readonly checkName?: boolean;
}

/**
 * Starts linphonec bound to `ip` (no sound card: `soundcard use files`, a tone WAV played into
 * calls), registers through the numeric outbound proxy (rc `[proxy_0]`, the route of every
 * request too), auto-answers incoming calls.
 */
export function startLinphone(o: LinphoneOptions): LinphonePhone {
  const dir = mkdtempSync(join(tmpdir(), 'linphone-'));
  writeToneWav(join(dir, 'tone.wav'), 10);
  // Without its database directory linphonec never starts its core (no SIP listening point).
  mkdirSync(join(dir, '.local/share/linphone'), { recursive: true });
  const t = o.transport ?? 'udp';
  writeFileSync(join(dir, 'rc'), `[sip]
sip_port=${t === 'udp' ? o.port : -1}
sip_tcp_port=${t === 'tcp' ? o.port : -1}
sip_tls_port=${t === 'tls' ? o.port : -1}
${o.rootCa ? `root_ca=${o.rootCa}\nverify_server_certs=1\nverify_server_cn=${o.checkName ? 1 : 0}\n` : ''}bind_address=${o.ip}
ipv6=0
[net]
# Never a resolver outside loopback: every destination is the numeric outbound proxy below.
dns_servers=${o.ip}
[proxy_0]
reg_proxy=<sip:${o.proxy};transport=${t}>
reg_route=<sip:${o.proxy};transport=${t};lr>
reg_identity=sip:${o.user}@${o.domain}
reg_expires=${o.expires ?? 3600}
reg_sendregister=1
[auth_info_0]
username=${o.user}
passwd=${o.password}
domain=${o.domain}
[rtp]
audio_rtp_port=${o.rtpPort}
[sound]
echocancellation=0
[video]
enabled=0
display=0
capture=0
`);
  let text = '';
  const proc = Bun.spawn(['linphonec', '-c', join(dir, 'rc'), '-a', '-d', '6', '-l', '/dev/stdout'], {
    stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, HOME: dir },
  });
  const pump = async (s: ReadableStream<Uint8Array>) => { for await (const c of s as unknown as AsyncIterable<Uint8Array>) text += new TextDecoder().decode(c); };
  void pump(proc.stdout); void pump(proc.stderr);
  const phone: LinphonePhone = {
    user: o.user,
    log: () => text,
    send(command) { proc.stdin.write(`${command}\n`); proc.stdin.flush(); },
    async waitFor(re, ms = 8000, from = 0) {
      const end = Date.now() + ms;
      for (;;) {
        const m = text.slice(from).match(re);
        if (m) return m;
        if (Date.now() > end) throw new Error(`linphonec ${o.user}: no ${re} within ${ms} ms; log tail:\n${text.slice(-4000)}`);
        await Bun.sleep(50);
      }
    },
    async stop() {
      try { phone.send('quit'); } catch { /* stdin already closed */ }
      const timer = setTimeout(() => proc.kill(9), 3000);
      await proc.exited; clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  phone.send('soundcard use files');
  phone.send(`play ${join(dir, 'tone.wav')}`);
  phone.send(`record ${join(dir, 'heard.wav')}`);
  return phone;
}
