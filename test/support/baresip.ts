import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

/** A baresip (Debian baresip-core) phone in its own config dir, driven through its stdin menu. */
export interface BaresipPhone {
  readonly user: string;
  /** Everything the phone has printed so far (stdout and stderr). */
  log(): string;
  /** Sends one menu command, e.g. `/dial sip:202@office.lan`. */
  send(command: string): void;
  /** Waits until the log matches `re` (after `from` characters), or throws with the log tail. */
  waitFor(re: RegExp, ms?: number, from?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** What a phone needs: its address, the account, the appliance's address and transport. */
export interface BaresipOptions {
  readonly ip: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly domain: string;
  /** `host:port` of the appliance. */
  readonly proxy: string;
  readonly transport?: 'udp' | 'tcp' | 'tls';
  /** REGISTER expiry in seconds (baresip default 3600). */
  readonly expires?: number;
  /** Print every SIP message (`-s`), e.g. to read the Via the appliance put on an INVITE. */
  readonly trace?: boolean;
  /** PEM file of the CA the appliance's TLS certificate must chain to (`sip_cafile`). */
  readonly cafile?: string;
  /** Seconds of the tone it sends (default 3): a call ends when its aufile source does. */
  readonly toneSeconds?: number;
  /** URIs whose presence it watches (contact.so + presence.so: SUBSCRIBE Event: presence, `;presence=p2p`). */
  readonly watch?: readonly string[];
}

/** A mono 8 kHz 16-bit PCM WAV of `seconds` of a tone (RIFF header, RFC 2361 format tag 1). */
export function writeToneWav(path: string, seconds = 3): void {
  const samples = 8000 * seconds;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + samples * 2, 4); b.write('WAVE', 8);
  b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24); b.writeUInt32LE(16000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(8000 * Math.sin(i * 0.3)), 44 + i * 2);
  writeFileSync(path, b);
}

/** Starts baresip with a temporary config (aufile source/sink, G.711 only, auto answer). */
export function startBaresip(o: BaresipOptions): BaresipPhone {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  writeToneWav(join(dir, 'tone.wav'), o.toneSeconds ?? 3);
  // An IPv6 address in brackets where a port follows (baresip's sa_decode, RFC 5118 style).
  const at = (port: number) => (o.ip.includes(':') ? `[${o.ip}]:${port}` : `${o.ip}:${port}`);
  writeFileSync(join(dir, 'config'), `poll_method epoll
sip_listen ${at(o.port)}
audio_source aufile,${dir}/tone.wav
audio_player aufile,${dir}/heard.wav
audio_alert aufile,${dir}/alert.wav
rtp_stats yes
${o.cafile ? `sip_cafile ${o.cafile}\n` : ''}net_interface ${o.ip}
dns_server ${at(53)}
module_path /usr/lib/baresip/modules
module stdio.so
module g711.so
module aufile.so
${o.transport === 'tls' ? 'module srtp.so\n' : ''}module_app account.so
module_app menu.so
${o.watch?.length ? 'module_app contact.so\nmodule_app presence.so\n' : ''}`);
  if (o.watch?.length) writeFileSync(join(dir, 'contacts'), o.watch.map((u) => `<${u}>;presence=p2p\n`).join(''));
  const t = o.transport ?? 'udp';
  writeFileSync(join(dir, 'accounts'),
    `<sip:${o.user}@${o.domain};transport=${t}>;auth_pass=${o.password};outbound="sip:${o.proxy};transport=${t}";answermode=auto;regint=${o.expires ?? 3600}\n`);
  let text = '';
  const proc: Subprocess<'pipe', 'pipe', 'pipe'> = Bun.spawn(['baresip', '-f', dir, ...(o.trace ? ['-s'] : [])], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
  const pump = async (s: ReadableStream<Uint8Array>) => { for await (const c of s as unknown as AsyncIterable<Uint8Array>) text += new TextDecoder().decode(c); };
  void pump(proc.stdout); void pump(proc.stderr);
  const phone: BaresipPhone = {
    user: o.user,
    log: () => text,
    send(command) { proc.stdin.write(`${command}\n`); proc.stdin.flush(); },
    async waitFor(re, ms = 8000, from = 0) {
      const end = Date.now() + ms;
      for (;;) {
        const m = text.slice(from).match(re);
        if (m) return m;
        if (Date.now() > end) throw new Error(`baresip ${o.user}: no ${re} within ${ms} ms; log tail:\n${text.slice(-3000)}`);
        await Bun.sleep(50);
      }
    },
    async stop() {
      try { phone.send('/quit'); } catch { /* stdin already closed */ }
      const t2 = setTimeout(() => proc.kill(9), 2000);
      await proc.exited; clearTimeout(t2);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return phone;
}

/** RTP packets a baresip phone sent and received, from its end-of-call summary. */
export interface RtpCounts {
  readonly tx: number;
  readonly rx: number;
}

/** The first end-of-call summary in `log` ("packets: <tx> <rx>"), or undefined. */
export function rtpPackets(log: string): RtpCounts | undefined {
  const m = log.match(/packets:\s+(\d+)\s+(\d+)/);
  return m ? { tx: Number(m[1]), rx: Number(m[2]) } : undefined;
}

/**
 * Caller dials callee at `domain`; both see the call established; `holdMs` of audio; the caller
 * hangs up (BYE) and both see it end. Returns each side's RTP counts of this call.
 */
export async function callAndHangUp(caller: BaresipPhone, callee: BaresipPhone, domain: string, holdMs = 2000): Promise<{ caller?: RtpCounts; callee?: RtpCounts }> {
  const a0 = caller.log().length, b0 = callee.log().length;
  caller.send(`/dial sip:${callee.user}@${domain}`);
  await caller.waitFor(/Call established/, 8000, a0);
  await callee.waitFor(/Call established/, 8000, b0);
  await Bun.sleep(holdMs);
  caller.send('/hangup');
  await caller.waitFor(/terminated \(duration/, 5000, a0);
  await callee.waitFor(/terminated \(duration/, 5000, b0);
  return { caller: rtpPackets(caller.log().slice(a0)), callee: rtpPackets(callee.log().slice(b0)) };
}
