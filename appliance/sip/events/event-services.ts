import type { SubscriptionsStore } from '../../../system/store/index.ts';
import type { LampView } from './lamp-view.ts';

/** A call pickup asked for (`**NNN` directed, `*8` group): the ringing call and the phone that takes it. */
export interface PickupRequest {
  /** The ringing call: its Call-ID and the caller's tag (the fork holding it is keyed so). */
  readonly callId: string;
  readonly callerTag: string;
  /** The worker whose fork holds the call (from the lamp's dialog). */
  readonly worker: number;
  /** The picking extension and the Contact of the phone it dialled from. */
  readonly picker: string;
  readonly contact: string;
  /** Where that phone's request came from, `transport:address:port`. */
  readonly source: string;
}

/**
 * What the subscribe and pickup stages use (the SIP service holds it; absent: SUBSCRIBEs for
 * `dialog` and `presence` reach the phones as before and pickup codes are unknown numbers).
 */
export interface EventServices {
  readonly subscriptions: SubscriptionsStore;
  /** Every extension's dialogs, as the lamp board's owner published them. */
  readonly lamps: LampView;
  /** A subscription was created, refreshed or ended here: its notifier (one worker) follows it. */
  changed(id: string): void;
  /** Hands a pickup to the worker whose fork holds the ringing call. */
  pickup(request: PickupRequest): void;
  /** Whose ringing calls the picker's `*8` may take (events/pickup-rules.ts pickupGroupOf). */
  pickupGroup(picker: string): readonly string[] | 'all';
}
