import dgram from 'node:dgram';
import { challengeField, digestAnswer, sipMessage, statusOf } from '../../../../support/sip-udp-peer.ts';

/** A message the phone received, with where it came from (the NAT tests look at the source port). */
export interface Received {
  readonly text: string;
  readonly fromPort: number;
  readonly fromAddress: string;
}

/**
 * A phone "behind NAT" over UDP on a loopback address: it registers with a private Contact and
 * Via (what it believes its address is) while it really sends from `address:port`, as a NAT
 * router would make it. It answers OPTIONS with `optionsStatus` (undefined: never) and INVITE
 * with 486, and keeps everything it receives.
 */
export class NatPhone {
  readonly inbox: Received[] = [];
  optionsStatus: number | undefined = 200;
  private cseq = 1;

  private constructor(private readonly sock: dgram.Socket, readonly address: string, private readonly ext: string, private readonly contactHost: string | null) {
    sock.on('message', (m, rinfo) => this.onMessage(m.toString('latin1'), rinfo));
  }

  /** `contactHost`: what the phone puts in Contact and Via; null: its real address and port (a LAN phone). */
  static async open(address: string, ext: string, contactHost: string | null = '10.9.9.9:5060'): Promise<NatPhone> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, address, () => r()));
    return new NatPhone(sock, address, ext, contactHost);
  }

  /** The Contact it registers. */
  get privateContact(): string {
    return `sip:${this.ext}@${this.contactHost ?? `${this.address}:${this.port}`}`;
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** REGISTER with digest (401, then credentials); the final status. */
  async register(ext: string, password: string, host: string, port: number, expires = 3600): Promise<number | undefined> {
    const callId = `nat-reg-${ext}-${this.port}`;
    const send = (auth?: string) => {
      const seq = this.cseq++;
      const branch = `z9hG4bK-natreg${seq}-${this.port}`;
      this.send(sipMessage(`REGISTER sip:office.lan SIP/2.0`, [
        `Via: SIP/2.0/UDP ${this.privateContact.split('@')[1]};branch=${branch};rport`,
        `From: <sip:${ext}@office.lan>;tag=nat${ext}`, `To: <sip:${ext}@office.lan>`, `Call-ID: ${callId}`, `CSeq: ${seq} REGISTER`,
        `Contact: <${this.privateContact}>`, `Expires: ${expires}`, 'Max-Forwards: 70', 'User-Agent: nat-phone',
        ...(auth ? [`Authorization: ${auth}`] : []),
      ]), port, host);
      return branch;
    };
    const first = send();
    const challenge = await this.waitFor((m) => m.text.includes(first) && statusOf(m.text) === 401, 2000);
    if (!challenge) return undefined;
    const nonce = challengeField(challenge.text, 'nonce')!;
    const second = send(digestAnswer({ user: ext, realm: 'office.lan', password, method: 'REGISTER', uri: 'sip:office.lan', nonce }));
    const done = await this.waitFor((m) => m.text.includes(second) && (statusOf(m.text) ?? 0) >= 200, 2000);
    return done && statusOf(done.text);
  }

  /** Requests of a method received so far. */
  requests(method: string): Received[] {
    return this.inbox.filter((m) => m.text.startsWith(`${method} `));
  }

  async waitFor(match: (m: Received) => boolean, ms = 1500): Promise<Received | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const m = this.inbox.find(match);
      if (m || Date.now() > until) return m;
      await Bun.sleep(10);
    }
  }

  send(text: string, port: number, host: string): void {
    this.sock.send(Buffer.from(text, 'latin1'), port, host);
  }

  close(): void {
    this.sock.close();
  }

  private onMessage(text: string, rinfo: dgram.RemoteInfo): void {
    this.inbox.push({ text, fromPort: rinfo.port, fromAddress: rinfo.address });
    const method = /^([A-Z]+) /.exec(text)?.[1];
    if (method === 'OPTIONS' && this.optionsStatus !== undefined) this.answer(text, this.optionsStatus, rinfo);
    if (method === 'INVITE') this.answer(text, 486, rinfo);
  }

  /** A response to the request's top Via (RFC 3261 §18.2.2: received/sent-by, no rport asked). */
  private answer(req: string, status: number, rinfo: dgram.RemoteInfo): void {
    const head = req.slice(0, req.indexOf('\r\n\r\n')).split('\r\n');
    const keep = head.filter((l) => /^(Via|v|From|f|To|t|Call-ID|i|CSeq):/i.test(l));
    const to = keep.findIndex((l) => /^(To|t):/i.test(l));
    if (to >= 0 && !/;tag=/.test(keep[to])) keep[to] += ';tag=natphone';
    const top = keep.find((l) => /^(Via|v):/i.test(l)) ?? '';
    const sentBy = /SIP\/2\.0\/UDP ([^;\s]+)/i.exec(top)?.[1] ?? `${rinfo.address}:${rinfo.port}`;
    const rport = /;rport(?:[;\s]|$)/.test(top);
    const [host, port] = sentBy.startsWith('[') ? [sentBy.slice(1, sentBy.indexOf(']')), sentBy.split(']:')[1]] : sentBy.split(':');
    // Only loopback ever: a test must not send anywhere else.
    const toHost = host.startsWith('127.') ? host : rinfo.address;
    const toPort = rport ? rinfo.port : Number(port ?? 5060);
    this.send(sipMessage(`SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Whatever'}`, keep), toPort, toHost);
  }
}
