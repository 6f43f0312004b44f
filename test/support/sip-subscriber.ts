import { challengeField, digestAnswer, sipMessage, SipUdpPeer, statusOf } from './sip-udp-peer.ts';

/** One NOTIFY as the subscriber got it. */
export interface ReceivedNotify {
  readonly text: string;
  readonly at: number;
  readonly state: string;
  readonly body: string;
  readonly cseq: number;
}

/**
 * A hand-driven SUBSCRIBE/NOTIFY user agent (RFC 6665 §4.1) over UDP on one loopback address:
 * subscribes with digest (answering the 407), keeps the dialog, answers every NOTIFY (200, or
 * what `notifyStatus` says) at its Via, and records them in order.
 */
export class SipSubscriber {
  readonly notifies: ReceivedNotify[] = [];
  notifyStatus = 200;
  private seen = 0;
  private cseq = 1;
  private callId = `sub-${Math.random().toString(36).slice(2)}`;
  private tag = `st${Math.random().toString(36).slice(2, 8)}`;
  /** Our To tag of the appliance's 200 (the dialog's remote tag), once subscribed. */
  remoteTag: string | undefined;
  private timer: ReturnType<typeof setInterval>;

  private constructor(readonly peer: SipUdpPeer, private readonly o: { user: string; password: string; host: string; port: number; domain: string }) {
    this.timer = setInterval(() => this.answer(), 5);
  }

  static async open(address: string, o: { user: string; password: string; host: string; port: number; domain?: string }): Promise<SipSubscriber> {
    return new SipSubscriber(await SipUdpPeer.open(address), { domain: 'office.lan', ...o });
  }

  /** Sends a SUBSCRIBE (initial, or in the dialog once subscribed), answering one challenge; returns the final response. */
  async subscribe(target: string, opts: { event?: string; expires?: string | null; accept?: string; auth?: boolean; extra?: string[] } = {}): Promise<string | undefined> {
    const first = await this.send(target, opts, undefined);
    if (statusOf(first) !== 407 || opts.auth === false) return first;
    const nonce = challengeField(first!, 'nonce')!;
    const realm = challengeField(first!, 'realm')!;
    const uri = `sip:${target}@${this.o.domain}`;
    const answer = digestAnswer({ user: this.o.user, realm, password: this.o.password, method: 'SUBSCRIBE', uri, nonce });
    const res = await this.send(target, opts, answer);
    if (statusOf(res) === 200 && !this.remoteTag) this.remoteTag = /^To:.*;tag=([^;\s]+)/im.exec(res!)?.[1];
    return res;
  }

  private async send(target: string, opts: { event?: string; expires?: string | null; accept?: string; extra?: string[] }, auth: string | undefined): Promise<string | undefined> {
    const seq = this.cseq++;
    const branch = `z9hG4bK-s${seq}${Math.random().toString(36).slice(2, 8)}`;
    const uri = `sip:${target}@${this.o.domain}`;
    const headers = [
      `Via: SIP/2.0/UDP ${this.peer.hostPort};branch=${branch};rport`,
      `From: <sip:${this.o.user}@${this.o.domain}>;tag=${this.tag}`,
      `To: <${uri}>${this.remoteTag ? `;tag=${this.remoteTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${seq} SUBSCRIBE`,
      `Contact: <sip:${this.o.user}@${this.peer.hostPort}>`,
      'Max-Forwards: 70',
      `Event: ${opts.event ?? 'dialog'}`,
      ...(opts.accept !== undefined ? [`Accept: ${opts.accept}`] : [`Accept: ${opts.event === 'presence' ? 'application/pidf+xml' : 'application/dialog-info+xml'}`]),
      ...(opts.expires === null ? [] : [`Expires: ${opts.expires ?? '600'}`]),
      ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
      ...(opts.extra ?? []),
    ];
    this.peer.send(sipMessage(`SUBSCRIBE ${uri} SIP/2.0`, headers), this.o.port, this.o.host);
    return this.peer.waitFor((m) => m.includes(branch) && (statusOf(m) ?? 0) >= 200, 3000);
  }

  /** Starts another subscription dialog (new Call-ID and tag) on the same socket. */
  newDialog(): void {
    this.callId = `sub-${Math.random().toString(36).slice(2)}`;
    this.tag = `st${Math.random().toString(36).slice(2, 8)}`;
    this.remoteTag = undefined;
  }

  /** Waits for a NOTIFY whose body or state matches; returns it. */
  async waitNotify(match: (n: ReceivedNotify) => boolean, ms = 4000): Promise<ReceivedNotify | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const n = this.notifies.find(match);
      if (n || Date.now() > until) return n;
      await Bun.sleep(5);
    }
  }

  private answer(): void {
    for (; this.seen < this.peer.inbox.length; this.seen++) {
      const m = this.peer.inbox[this.seen];
      if (!m.startsWith('NOTIFY ')) continue;
      const [head, body = ''] = m.split('\r\n\r\n');
      const via = /^Via: SIP\/2\.0\/UDP ([^;\s]+)/im.exec(head)![1];
      const [h, p] = [via.slice(0, via.lastIndexOf(':')), Number(via.slice(via.lastIndexOf(':') + 1))];
      const state = /^Subscription-State:\s*(.+)$/im.exec(head)?.[1].trim() ?? '';
      this.notifies.push({ text: m, at: Date.now(), state, body, cseq: Number(/^CSeq:\s*(\d+)/im.exec(head)?.[1]) });
      const lines = head.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
      this.peer.send(sipMessage(`SIP/2.0 ${this.notifyStatus} ${this.notifyStatus === 200 ? 'OK' : 'Gone'}`, lines), p, h);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.peer.close();
  }
}

/** The `<state>` values of a dialog-info body, in order. */
export function dialogStates(body: string): string[] {
  return [...body.matchAll(/<state[^>]*>(\w+)<\/state>/g)].map((m) => m[1]);
}
