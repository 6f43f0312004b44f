import { randomBytes } from 'node:crypto';
import type { SubscriptionRecord, SubscriptionsStore } from '../../../system/store/index.ts';
import { SERVER_NAME } from '../message/encode.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { ourVia } from '../proxy/forwarding.ts';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import type { Destination } from '../transport/transport.ts';
import { destinationOf } from './source-destination.ts';
import { DIALOG_INFO_TYPE, dialogInfo, PIDF_TYPE, pidf } from './event-bodies.ts';
import type { LampChange, LampDialog } from './lamp-board.ts';
import type { LampView } from './lamp-view.ts';
import type { EventKind } from '../../../system/log/event-kinds.ts';

/** What the notifier needs from the SIP service (the one in the notifier's worker). */
export interface NotifierDeps {
  readonly store: SubscriptionsStore;
  readonly lamps: LampView;
  /** Starts a client transaction for a request of ours (RFC 3261 §17.1.2). */
  readonly request: (req: SipRequest, dest: Destination, user: ClientTransactionUser) => ClientTransaction | undefined;
  /** Our address towards `address`, the shared ports and this worker's own Via port. */
  readonly identity: (address: string) => { readonly advertise: string; readonly port: number; readonly tlsPort?: number; readonly viaPort: number };
  readonly domain: string;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** Told of every NOTIFY sent (tests, latency figures). */
  readonly onNotify?: (sub: SubscriptionRecord, state: string) => void;
}

interface Held {
  rec: SubscriptionRecord;
  notifies: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The notifier for `dialog` (RFC 4235) and `presence` (RFC 3856, PIDF RFC 3863) subscriptions
 * to our extensions (RFC 6665 §4.2.2): one worker runs it (slot 0, or the single-process
 * appliance), whichever worker accepted the SUBSCRIBE (the store holds it; `changed` says
 * so). It sends a NOTIFY with the full state at once and on every lamp change of the watched
 * extension, and `Subscription-State: terminated;reason=timeout` when a subscription runs out
 * or is ended (Expires 0); a NOTIFY answered 481, or not at all, removes it (§4.2.2).
 */
export class Notifier {
  private readonly held = new Map<string, Held>();
  private readonly branchBase = randomBytes(6).toString('hex');
  private branches = 0;

  constructor(private readonly deps: NotifierDeps) {}

  /** Takes over the stored subscriptions (a restart): the full state now, the expired ones end. */
  start(now = Date.now()): void {
    this.deps.lamps.onChange = (c) => this.lampChanged(c);
    for (const rec of this.deps.store.list()) this.take(rec, now);
  }

  stop(): void {
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
  }

  /** Subscriptions this notifier follows now. */
  get size(): number {
    return this.held.size;
  }

  /** A SUBSCRIBE created, refreshed or ended this subscription (any worker): follow the store. */
  changed(id: string, now = Date.now()): void {
    const rec = this.deps.store.get(id);
    const h = this.held.get(id);
    if (!rec) {
      if (h) this.drop(id);
      return;
    }
    if (h) {
      h.rec = { ...rec, notifies: Math.max(rec.notifies, h.notifies) };
      h.notifies = h.rec.notifies;
    }
    this.take(h?.rec ?? rec, now);
  }

  private take(rec: SubscriptionRecord, now: number): void {
    const h: Held = this.held.get(rec.id) ?? { rec, notifies: rec.notifies };
    clearTimeout(h.timer);
    this.held.set(rec.id, h);
    if (rec.expiresAt <= now) {
      this.send(h, 'terminated;reason=timeout', this.deps.lamps.dialogsOf(rec.target));
      this.drop(rec.id);
      return;
    }
    this.send(h, `active;expires=${Math.ceil((rec.expiresAt - now) / 1000)}`, this.deps.lamps.dialogsOf(rec.target));
    h.timer = setTimeout(() => this.expire(rec.id), rec.expiresAt - now);
    h.timer.unref?.();
  }

  private expire(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    // A refresh on another worker moved the expiry: follow the store.
    const rec = this.deps.store.get(id);
    if (rec && rec.expiresAt > Date.now()) return this.changed(id);
    this.send(h, 'terminated;reason=timeout', this.deps.lamps.dialogsOf(h.rec.target));
    this.drop(id);
  }

  private lampChanged(c: LampChange): void {
    const dialogs = [...c.dialogs, ...c.ended.filter((e) => !c.dialogs.some((d) => d.id === e.id))];
    const now = Date.now();
    for (const h of this.held.values()) {
      if (h.rec.target !== c.extension) continue;
      // Every change of its dialogs (a presence document says the same until the lamp changes: harmless, RFC 6665 §4.2.2 rate limits aside).
      this.send(h, `active;expires=${Math.max(1, Math.ceil((h.rec.expiresAt - now) / 1000))}`, dialogs);
    }
  }

  private drop(id: string): void {
    const h = this.held.get(id);
    clearTimeout(h?.timer);
    this.held.delete(id);
    this.deps.store.remove(id);
  }

  private send(h: Held, state: string, dialogs: readonly LampDialog[]): void {
    const rec = h.rec;
    const dest = destinationOf(rec);
    if (!dest) {
      this.drop(rec.id);
      return;
    }
    const version = h.notifies++;
    const entity = `sip:${rec.target}@${this.deps.domain}`;
    const body = rec.event === 'dialog' ? dialogInfo(entity, version, dialogs) : pidf(entity, dialogs);
    const id = this.deps.identity(dest.address);
    const via = ourVia(dest.transport, `z9hG4bK-nt${this.branchBase}${(this.branches++).toString(36)}`, id);
    const contactHost = id.advertise.includes(':') ? `[${id.advertise}]` : id.advertise;
    const contactPort = dest.transport === 'tls' ? id.tlsPort ?? id.port : id.port;
    const req = {
      method: 'NOTIFY', uri: rec.contact, version: '2.0',
      headers: {
        via: [via],
        'max-forwards': '70',
        // RFC 6665 §4.2.2: the NOTIFY is in the subscription's dialog, sent by us (the SUBSCRIBE's UAS).
        to: { uri: `sip:${rec.subscriber}@${this.deps.domain}`, params: { tag: rec.remoteTag } },
        from: { uri: entity, params: { tag: rec.localTag } },
        'call-id': rec.callId,
        cseq: { seq: h.notifies, method: 'NOTIFY' },
        contact: [{ uri: `sip:${rec.target}@${contactHost}:${contactPort}${dest.transport === 'udp' ? '' : `;transport=${dest.transport}`}`, params: {} }],
        event: rec.eventId ? `${rec.event};id=${rec.eventId}` : rec.event,
        'subscription-state': state,
        'user-agent': SERVER_NAME,
        'content-type': rec.event === 'dialog' ? DIALOG_INFO_TYPE : PIDF_TYPE,
        'content-length': Buffer.byteLength(body),
      },
      content: body,
    } as unknown as SipRequest;
    this.deps.store.notified(rec.id, h.notifies);
    const final = state.startsWith('terminated');
    this.deps.request(req, dest, {
      onResponse: (res: SipResponse) => {
        // §4.2.2: a 481 (or another final error the subscriber means as "gone") ends the subscription.
        if (res.status === 481 && !final && this.held.get(rec.id) === h) {
          this.deps.log('sip.subscription.gone', `subscription of ${rec.subscriber} to ${rec.event} of ${rec.target} removed: NOTIFY answered 481`, { id: rec.id });
          this.drop(rec.id);
        }
      },
      onTimeout: () => {
        if (final || this.held.get(rec.id) !== h) return;
        this.deps.log('sip.subscription.gone', `subscription of ${rec.subscriber} to ${rec.event} of ${rec.target} removed: NOTIFY not answered`, { id: rec.id });
        this.drop(rec.id);
      },
    });
    this.deps.onNotify?.(rec, state);
  }
}
