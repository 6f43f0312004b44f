import { randomBytes } from 'node:crypto';
import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import { SERVER_NAME } from '../sip/message/encode.ts';
import type { SipRequest } from '../sip/message/types.ts';
import { uriHost } from '../sip/message/uri.ts';
import { NO_RESPONSE_MS } from '../sip/proxy/failover.ts';
import type { ClientTransaction } from '../sip/transaction/client-transaction.ts';
import type { TrunkRegistrarDeps } from './trunk-registrar.ts';

/**
 * OPTIONS keep-alives to a registered trunk's registrar (RFC 3261 §11; as Kamailio's
 * dispatcher pings its gateways, `ds_ping_interval`): one every `keepaliveS` seconds while
 * the trunk is up. Any answer, whatever its status (a provider may answer 403 or 405 to an
 * OPTIONS), shows it is there; nothing at all for 8·T1 (4 s; over UDP the request has been
 * retransmitted at 0.5, 1 and 2 s by then) means it is gone: `onLost`, and the registration
 * is failed at once (trunk-registration.ts `probe-lost`) instead of at the next refresh, up to
 * half an hour later.
 */
export class TrunkKeepalive {
  private timer?: ReturnType<typeof setTimeout>;
  private waiting?: ReturnType<typeof setTimeout>;
  private pending?: ClientTransaction;
  private running = false;
  private readonly callId = randomBytes(10).toString('hex');
  private cseq = 1;

  constructor(
    private readonly trunk: TrunkConfig,
    private readonly deps: Pick<TrunkRegistrarDeps, 'request' | 'identity' | 'resolve'>,
    private readonly onLost: () => void,
    private readonly answerMs = NO_RESPONSE_MS,
  ) {}

  /** Keeps pinging (idempotent); nothing when `keepalive = 0`. */
  run(): void {
    if (this.running || this.trunk.keepaliveS <= 0) return;
    this.running = true;
    this.next();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.waiting);
    this.pending?.terminate();
    this.pending = undefined;
  }

  private next(): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => void this.ping(), this.trunk.keepaliveS * 1000);
    this.timer.unref?.();
  }

  private async ping(): Promise<void> {
    const dest0 = (await this.deps.resolve(this.trunk).catch(() => []))[0];
    if (!this.running) return;
    // No destination now: the registration's own lookups say why; try again later.
    if (!dest0) return this.next();
    const dest = dest0.transport === 'udp' ? { ...dest0, fromShared: true } : dest0;
    const ct = this.deps.request(this.options(dest.address), dest, {
      onResponse: (res, t) => {
        if (t !== this.pending || res.status < 100) return;
        clearTimeout(this.waiting);
        if (res.status >= 200) this.pending = undefined;
        this.next();
      },
      onTimeout: (t) => {
        if (t === this.pending) this.lost();
      },
    });
    if (!ct) return this.next();
    this.pending = ct;
    clearTimeout(this.waiting);
    this.waiting = setTimeout(() => {
      if (this.pending === ct && ct.lastStatus === 0) this.lost();
    }, this.answerMs);
    this.waiting.unref?.();
  }

  private lost(): void {
    clearTimeout(this.waiting);
    this.pending?.terminate();
    this.pending = undefined;
    this.running = false;
    this.onLost();
  }

  private options(address: string): SipRequest {
    const t = this.trunk;
    const id = this.deps.identity(address);
    const host = uriHost(id.advertise);
    const port = t.transport === 'udp' ? id.viaPort : t.transport === 'tls' ? (id.tlsPort ?? id.sipPort) : id.sipPort;
    const headers: Record<string, unknown> = {
      via: [{ version: '2.0', protocol: t.transport.toUpperCase(), host, port, params: { branch: `z9hG4bK-ka${randomBytes(8).toString('hex')}` } }],
      'max-forwards': '70',
      to: { uri: `sip:${t.domain}`, params: {} },
      from: { uri: `sip:${t.username}@${t.domain}`, params: { tag: randomBytes(6).toString('hex') } },
      'call-id': `${this.callId}@${host}`,
      cseq: { seq: this.cseq++, method: 'OPTIONS' },
      'user-agent': SERVER_NAME,
      'content-length': 0,
    };
    return { method: 'OPTIONS', uri: `sip:${t.domain}`, version: '2.0', headers, content: '' } as unknown as SipRequest;
  }
}
