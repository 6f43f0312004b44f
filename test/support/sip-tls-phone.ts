import net from 'node:net';
import tls from 'node:tls';
import { challengeField, digestAnswer, sipMessage, statusOf } from './sip-udp-peer.ts';

/**
 * A hand-driven SIP phone over TLS (node:tls, a real TLS client) on one loopback address: one
 * connection to the appliance, messages framed by Content-Length as RFC 3261 §18.3 says, every
 * received message kept. sipp in Debian is built without OpenSSL ("To use a TLS transport you
 * must compile SIPp with OpenSSL"), so the TLS side of the wire tests is driven from here.
 * `openTcp`: the same phone over plain TCP, which listens nowhere: reachable only over the one
 * connection it opened (a phone behind NAT; sipp's TCP mode cannot register and then answer on
 * one connection, its runs each close theirs).
 */
export class SipTlsPhone {
  readonly inbox: string[] = [];
  private buffered = Buffer.alloc(0);
  closed = false;

  private constructor(private readonly sock: net.Socket, readonly address: string, readonly protocol: 'TLS' | 'TCP' = 'TLS') {
    sock.on('data', (d: Buffer) => this.take(d));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => (this.closed = true));
  }

  /** Connects from `address` to host:port, trusting `ca` (the appliance's certificate). */
  static open(address: string, host: string, port: number, ca: string): Promise<SipTlsPhone> {
    return new Promise((resolve, reject) => {
      const sock = tls.connect({ host, port, localAddress: address, ca, servername: undefined } as tls.ConnectionOptions, () => resolve(new SipTlsPhone(sock, address)));
      sock.once('error', reject);
    });
  }

  /** Connects over plain TCP from `address` to host:port. */
  static openTcp(address: string, host: string, port: number): Promise<SipTlsPhone> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port, localAddress: address }, () => resolve(new SipTlsPhone(sock, address, 'TCP')));
      sock.once('error', reject);
    });
  }

  /** The local port (the phone's flow). */
  get port(): number {
    return this.sock.localPort ?? 0;
  }

  /** address:port for Via and Contact (IPv6 bracketed, RFC 5118). */
  get hostPort(): string {
    return `${this.address.includes(':') ? `[${this.address}]` : this.address}:${this.port}`;
  }

  /** The server certificate's SHA-256 fingerprint, as the UI shows it. */
  get peerFingerprint(): string {
    return (this.sock as tls.TLSSocket).getPeerCertificate().fingerprint256;
  }

  send(text: string): void {
    this.sock.write(Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1'));
  }

  /** Waits until a received message matches (or the time is up); returns it or undefined. */
  async waitFor(match: (m: string) => boolean, ms = 3000): Promise<string | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const m = this.inbox.find(match);
      if (m || Date.now() > until) return m;
      await Bun.sleep(10);
    }
  }

  /** REGISTER with the digest round trip (401, then credentials); the final status. */
  async register(ext: string, password: string, domain: string, contact: string, expires = 3600): Promise<number | undefined> {
    const callId = `tls-reg-${ext}-${Math.random().toString(36).slice(2)}`;
    const req = (cseq: number, auth?: string) => sipMessage(`REGISTER sip:${domain} SIP/2.0`, [
      `Via: SIP/2.0/${this.protocol} ${this.hostPort};branch=z9hG4bK-${callId}-${cseq};rport`, 'Max-Forwards: 70',
      `From: <sip:${ext}@${domain}>;tag=r${ext}`, `To: <sip:${ext}@${domain}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} REGISTER`,
      `Contact: <${contact}>`, `Expires: ${expires}`, ...(auth ? [`Authorization: ${auth}`] : []),
    ]);
    this.send(req(1));
    const challenge = await this.waitFor((m) => m.includes(`Call-ID: ${callId}`) && statusOf(m) === 401);
    if (!challenge) return undefined;
    const auth = digestAnswer({ user: ext, realm: challengeField(challenge, 'realm')!, password, method: 'REGISTER', uri: `sip:${domain}`, nonce: challengeField(challenge, 'nonce')! });
    this.send(req(2, auth));
    const done = await this.waitFor((m) => m.includes(`Call-ID: ${callId}`) && m.includes('CSeq: 2 REGISTER') && statusOf(m)! >= 200);
    return statusOf(done);
  }

  /** A response to `request` (Via, From, To with our tag, Call-ID, CSeq and Record-Route copied, RFC 3261 §8.2.6). */
  respond(request: string, status: number, reason: string, extra: string[] = [], body = ''): void {
    const lines = request.split('\r\n');
    const copy = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    const to = copy('To')[0];
    this.send(sipMessage(`SIP/2.0 ${status} ${reason}`, [
      ...copy('Via'), ...copy('Record-Route'), ...copy('From'), /;tag=/.test(to) ? to : `${to};tag=tlsphone`, ...copy('Call-ID'), ...copy('CSeq'), ...extra,
    ], body));
  }

  close(): void {
    this.sock.destroy();
  }

  private take(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      while (this.buffered.subarray(0, 2).toString() === '\r\n') this.buffered = this.buffered.subarray(2); // keep-alive
      const end = this.buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffered.subarray(0, end).toString('latin1');
      const length = Number(/^(?:Content-Length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (this.buffered.length < end + 4 + length) return;
      this.inbox.push(this.buffered.subarray(0, end + 4 + length).toString('latin1'));
      this.buffered = this.buffered.subarray(end + 4 + length);
    }
  }
}

/** Values of the headers named `name` (case-insensitive), a comma-joined `<…>, <…>` list split (RFC 3261 §7.3.1). */
export function headerLines(message: string, name: string): string[] {
  return message.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .flatMap((l) => l.slice(l.indexOf(':') + 1).split(/,\s*(?=<)/)).map((v) => v.trim());
}
