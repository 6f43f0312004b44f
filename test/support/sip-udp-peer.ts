import { createHash } from 'node:crypto';
import dgram from 'node:dgram';

/**
 * A hand-driven SIP endpoint on one loopback address (UDP): sends exact bytes and keeps what it
 * receives, for attack tests that need messages no real phone would send.
 */
export class SipUdpPeer {
  readonly inbox: string[] = [];
  private constructor(private readonly sock: dgram.Socket, readonly address: string) {
    sock.on('message', (m) => this.inbox.push(m.toString('latin1')));
  }

  static async open(address: string): Promise<SipUdpPeer> {
    const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((r) => sock.bind(0, address, () => r()));
    return new SipUdpPeer(sock, address);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** host:port, for Via and Contact (IPv6 bracketed, RFC 5118). */
  get hostPort(): string {
    return `${this.address.includes(':') ? `[${this.address}]` : this.address}:${this.port}`;
  }

  send(text: string, port: number, host: string): void {
    this.sock.send(Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1'), port, host);
  }

  /** Waits until a received message matches (or the time is up); returns it or undefined. */
  async waitFor(match: (m: string) => boolean, ms = 1500): Promise<string | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const m = this.inbox.find(match);
      if (m || Date.now() > until) return m;
      await Bun.sleep(10);
    }
  }

  close(): void {
    this.sock.close();
  }
}

/** A SIP message from lines (CRLF added, Content-Length computed). */
export function sipMessage(startLine: string, headers: string[], body = ''): string {
  return `${startLine}\r\n${headers.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The value of a digest challenge field (nonce, realm) in a 401/407. */
export function challengeField(response: string, field: string): string | undefined {
  return new RegExp(`${field}="([^"]+)"`).exec(response)?.[1];
}

/** An Authorization/Proxy-Authorization value as a phone computes it (RFC 2617 §3.2.2, qop=auth; MD5 or RFC 8760 SHA-256). */
export function digestAnswer(o: { user: string; realm: string; password: string; method: string; uri: string; nonce: string; nc?: number; algorithm?: 'MD5' | 'SHA-256' }): string {
  const alg = o.algorithm ?? 'MD5';
  const h = (s: string) => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(s).digest('hex');
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = 'a1b2c3d4';
  const ha1 = h(`${o.user}:${o.realm}:${o.password}`);
  const ha2 = h(`${o.method}:${o.uri}`);
  const response = h(`${ha1}:${o.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${o.user}", realm="${o.realm}", nonce="${o.nonce}", uri="${o.uri}", response="${response}", algorithm=${alg}, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

/** The status line's code of a response text. */
export function statusOf(m: string | undefined): number | undefined {
  const s = m && /^SIP\/2\.0 (\d{3})/.exec(m);
  return s ? Number(s[1]) : undefined;
}
