import { randomBytes } from 'node:crypto';
import type { TrunkConfig } from '../../system/config/trunk-config.ts';
import { SERVER_NAME } from '../sip/message/encode.ts';
import type { SipRequest } from '../sip/message/types.ts';
import { uriHost } from '../sip/message/uri.ts';
import type { ClientTransaction, ClientTransactionUser } from '../sip/transaction/client-transaction.ts';
import type { Destination } from '../sip/transport/transport.ts';
import { digestAnswer } from './digest-answer.ts';
import { readRegisterResponse, type DigestChallenge } from './register-response.ts';
import { initialRegistration, step, type RegistrationAction, type RegistrationEvent, type RegistrationState } from './trunk-registration.ts';
import { TrunkKeepalive } from './trunk-keepalive.ts';
import type { TrunkStatus } from './trunk-status.ts';

/** What one trunk's registration needs from the SIP service (the NAT pinger's pattern, nat/nat-pinger.ts). */
export interface TrunkRegistrarDeps {
  /** Starts a client transaction for a request of ours (RFC 3261 §17.1.2); undefined when it cannot. */
  readonly request: (req: SipRequest, dest: Destination, user: ClientTransactionUser) => ClientTransaction | undefined;
  /** Our address towards `address` (its family's), this worker's Via port, and the ports our Contact names. */
  readonly identity: (address: string) => { readonly advertise: string; readonly viaPort: number; readonly sipPort: number; readonly tlsPort: number | undefined };
  /** The registrar's destinations, best first (RFC 3263 §4, or host:port as configured). */
  readonly resolve: (trunk: TrunkConfig) => Promise<readonly Destination[]>;
  /** Told of every change of what the admin sees. */
  readonly onStatus: (status: TrunkStatus) => void;
  readonly now?: () => number;
}

/**
 * The edge of one trunk's registration (RFC 3261 §10.2, the appliance as a UA): builds and
 * sends the REGISTERs the pure machine (trunk-registration.ts) asks for through the SIP
 * service's client transactions, so only responses to what we sent (same branch, §17.1.3)
 * ever reach it; a forged 200 OK with another branch is dropped by the service.
 */
export class TrunkRegistrar {
  private state: RegistrationState = initialRegistration();
  private timer?: ReturnType<typeof setTimeout>;
  private pending?: ClientTransaction;
  private cseq = 1;
  /** §10.2.4: one Call-ID for every REGISTER of this UA to this registrar; one From tag per run. */
  private readonly callId = randomBytes(10).toString('hex');
  private readonly fromTag = randomBytes(6).toString('hex');
  private readonly now: () => number;
  private contact = '';
  private last: TrunkStatus;
  private finished?: () => void;
  /** Released to another registrar: never sends again, not even the unregister on stop. */
  private released = false;

  /** OPTIONS while registered: the provider gone shows at once (trunk-keepalive.ts). */
  private readonly keepalive: TrunkKeepalive;

  constructor(private readonly trunk: TrunkConfig, private readonly deps: TrunkRegistrarDeps) {
    this.now = deps.now ?? Date.now;
    this.last = this.status();
    this.keepalive = new TrunkKeepalive(trunk, deps, () => this.apply({ kind: 'probe-lost' }));
  }

  /** What the admin sees now. */
  status(): TrunkStatus {
    const s = this.state;
    return {
      name: this.trunk.name, state: s.status, reason: s.reason, registrar: registrarText(this.trunk),
      expiresAt: s.status === 'up' ? s.expiresAt : undefined, retryAt: s.status === 'failed' ? s.nextAt : undefined,
    };
  }

  start(): void {
    this.apply({ kind: 'start' });
  }

  /**
   * Stops refreshing without unregistering: another worker's registrar (a new generation,
   * after a reload or an upgrade) has taken over the same Contact, which an Expires: 0 from
   * here would remove at the provider.
   */
  release(): void {
    this.released = true;
    this.keepalive.stop();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending?.terminate();
    this.pending = undefined;
  }

  /** Unregisters (Expires: 0) when registered, waiting `graceMs` at most for the answer. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.released) return;
    this.keepalive.stop();
    clearTimeout(this.timer);
    const done = new Promise<void>((resolve) => { this.finished = resolve; });
    this.apply({ kind: 'stop' });
    await Promise.race([done, Bun.sleep(graceMs)]);
    clearTimeout(this.timer);
    this.pending?.terminate();
    this.pending = undefined;
  }

  private apply(ev: RegistrationEvent): void {
    if (this.released) return;
    const { state, actions } = step(this.state, ev, this.now());
    this.state = state;
    if (state.status === 'up' && !state.stopping) this.keepalive.run();
    else this.keepalive.stop();
    this.report();
    for (const a of actions) this.act(a);
  }

  private act(a: RegistrationAction): void {
    switch (a.kind) {
      case 'wait':
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.apply({ kind: 'timer' }), a.ms);
        this.timer.unref?.();
        return;
      case 'done':
        clearTimeout(this.timer);
        this.finished?.();
        return;
      case 'send':
        void this.send(a.expiresS, a.challenge);
    }
  }

  private async send(expiresS: number, challenge?: DigestChallenge): Promise<void> {
    this.pending?.terminate();
    this.pending = undefined;
    let dest: Destination | undefined;
    try {
      dest = (await this.deps.resolve(this.trunk))[0];
    } catch (err) {
      this.apply({ kind: 'unreachable', reason: `registrar ${registrarText(this.trunk)}: ${(err as Error).message}` });
      return;
    }
    if (!dest) {
      this.apply({ kind: 'unreachable', reason: `registrar ${registrarText(this.trunk)} not found (RFC 3263 lookup gave no ${this.trunk.transport} server)` });
      return;
    }
    // UDP leaves from the shared port our Contact names (a provider may check the source
    // against it); the answer still comes to the Via, this worker's own port.
    if (dest.transport === 'udp') dest = { ...dest, fromShared: true };
    const req = this.register(dest, expiresS, challenge);
    const ct = this.deps.request(req, dest, {
      onResponse: (res, t) => {
        if (t !== this.pending) return;
        if (res.status >= 200) this.pending = undefined;
        const wire = res.wire ?? Buffer.alloc(0);
        this.apply({ kind: 'response', response: readRegisterResponse(wire, res.status, res.reason, this.contact) });
      },
      onTimeout: (t) => {
        if (t !== this.pending) return;
        this.pending = undefined;
        this.apply({ kind: 'timeout' });
      },
      // §17.1.4: the connection failed (over TLS: the provider's certificate refused): failed with why, at once.
      onTransportError: (t, reason) => {
        if (t !== this.pending) return;
        this.pending = undefined;
        this.apply({ kind: 'unreachable', reason: `${dest!.transport.toUpperCase()} to ${registrarText(this.trunk)}: ${reason}` });
      },
    });
    if (!ct) {
      this.apply({ kind: 'unreachable', reason: 'the SIP service could not send (not started, or the branch is in use)' });
      return;
    }
    this.pending = ct;
  }

  /** The REGISTER of RFC 3261 §10.2: To/From our AOR at the provider's domain, Contact our shared SIP port. */
  private register(dest: Destination, expiresS: number, challenge?: DigestChallenge): SipRequest {
    const t = this.trunk;
    const id = this.deps.identity(dest.address);
    const host = uriHost(id.advertise);
    const seq = this.cseq++;
    const uri = `sip:${t.domain}`;
    const aor = `sip:${t.username}@${t.domain}`;
    const contactPort = t.transport === 'tls' ? (id.tlsPort ?? id.sipPort) : id.sipPort;
    this.contact = `sip:${t.username}@${host}:${contactPort}${t.transport === 'udp' ? '' : `;transport=${t.transport}`}`;
    const headers: Record<string, unknown> = {
      via: [{ version: '2.0', protocol: t.transport.toUpperCase(), host, port: t.transport === 'udp' ? id.viaPort : contactPort, params: { branch: `z9hG4bK-tr${randomBytes(8).toString('hex')}` } }],
      'max-forwards': '70',
      to: { uri: aor, params: {} },
      from: { uri: aor, params: { tag: this.fromTag } },
      'call-id': `${this.callId}@${host}`,
      cseq: { seq, method: 'REGISTER' },
      contact: `<${this.contact}>`,
      expires: String(expiresS),
      'user-agent': SERVER_NAME,
    };
    if (challenge) {
      // §22.4: the answer goes in Authorization for a 401, Proxy-Authorization for a 407.
      headers[challenge.proxy ? 'proxy-authorization' : 'authorization'] = digestAnswer(challenge, t, 'REGISTER', uri, randomBytes(8).toString('hex'));
    }
    headers['content-length'] = 0;
    return { method: 'REGISTER', uri, version: '2.0', headers, content: '' } as unknown as SipRequest;
  }

  private report(): void {
    const now = this.status();
    const l = this.last;
    if (now.state === l.state && now.reason === l.reason && now.expiresAt === l.expiresAt && now.retryAt === l.retryAt) return;
    this.last = now;
    this.deps.onStatus(now);
  }
}

/** The registrar as configured, for the admin: host or host:port. */
export function registrarText(t: TrunkConfig): string {
  const host = t.registrarHost.includes(':') ? `[${t.registrarHost}]` : t.registrarHost;
  return t.registrarPort === undefined ? host : `${host}:${t.registrarPort}`;
}
