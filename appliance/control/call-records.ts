import type { CallDirection, CallRecordsStore, NewCallRecord } from '../../system/store/index.ts';
import { parseSipUri } from '../sip/message/uri.ts';
import type { DialogEvent } from '../sip/dialog-events.ts';
import type { EndedCall } from './calls-view.ts';

/** What decides a call's direction. */
export interface DirectionRules {
  /** Host names and addresses that are this appliance's domain (lower case). */
  readonly ourHosts: ReadonlySet<string>;
  /** Dialled numbers that are emergency calls (`[emergency] numbers`). */
  readonly emergencyNumbers: ReadonlySet<string>;
}

/**
 * Which way a call went, from its From and To URIs (pure): to an emergency number →
 * emergency; to a domain not ours → outbound; from a domain not ours → inbound; else internal.
 * (Trunk calls are named by the trunk routing, which sets the direction itself.)
 */
export function callDirection(from: string, to: string, rules: DirectionRules): CallDirection {
  const callee = parseSipUri(to);
  const caller = parseSipUri(from);
  if (callee?.user && rules.emergencyNumbers.has(callee.user)) return 'emergency';
  if (callee && !rules.ourHosts.has(callee.host.toLowerCase())) return 'outbound';
  if (caller && !rules.ourHosts.has(caller.host.toLowerCase())) return 'inbound';
  return 'internal';
}

/**
 * The record a dialog event opens (a call answered, or one that failed), if any (pure). None for
 * a call another member records (`transit`: one owner of each call's record, the member that
 * routes it, sip/call-owner.ts; issue 19).
 */
export function recordOf(e: DialogEvent, worker: number, rules: DirectionRules): NewCallRecord | undefined {
  if (e.kind !== 'start' && e.kind !== 'failed') return undefined;
  if (e.transit) return undefined;
  const base = {
    callId: e.callId, fromTag: e.tags[0], from: e.from, to: e.to, routedTo: e.routedTo ?? null, trunk: e.trunk ?? null,
    ...(e.forwardedBy ? { forwardedBy: e.forwardedBy } : {}),
    direction: e.direction ?? callDirection(e.from, e.to, rules), startedAt: e.invitedAt ?? e.ts, worker,
  };
  if (e.kind === 'start') return { ...base, toTag: e.tags[1], answeredAt: e.ts, result: 200 };
  return { ...base, endedAt: e.ts, result: e.status, reason: e.reason };
}

/**
 * Writes call detail records from every worker's dialog events (issue 14): a row when a call
 * is answered or fails, its end when the calls view ends it (a BYE, an RFC 4028 expiry, or no
 * BYE for 12 h: calls-view.ts decides, so the records and the view agree). A store error is
 * reported, never thrown into the IPC handler.
 */
export class CallRecorder {
  constructor(
    private readonly store: CallRecordsStore,
    private rules: DirectionRules,
    private readonly onError: (e: Error) => void = () => {},
  ) {}

  /** New rules (a reload changed `[emergency] numbers` or the SIP addresses): records from now on. */
  configure(rules: DirectionRules): void {
    this.rules = rules;
  }

  apply(worker: number, events: readonly DialogEvent[]): void {
    for (const e of events) {
      const r = recordOf(e, worker, this.rules);
      if (r) this.guard(() => this.store.open(r));
    }
  }

  /** The calls view ended a call. */
  ended(call: EndedCall): void {
    this.guard(() => this.store.end(call.callId, call.tags, call.endedAt, call.reason ?? 'ended'));
  }

  private guard(write: () => unknown): void {
    try {
      write();
    } catch (e) {
      this.onError(e as Error);
    }
  }
}
