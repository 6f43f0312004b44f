import type { LogSettings } from '../../system/log/logger.ts';
import type { BanRecord, BindingChange, BindingRecord } from '../../system/store/index.ts';
import type { SipTarget } from '../dns/index.ts';
import type { AdmissionRates, HandOffTarget } from '../sip/pipeline/admission-control.ts';
import type { DialogEvent } from '../sip/dialog-events.ts';
import type { TraceEntry } from '../sip/call-trace.ts';
import type { WorkerReport } from './operating-state.ts';
import type { TrunkStatus } from '../trunks/trunk-status.ts';
import type { WorkerTotals } from '../metrics/worker-totals.ts';
import type { LampChange } from '../sip/events/lamp-board.ts';
import type { PickupRequest } from '../sip/events/event-services.ts';
import type { ByeSpec } from '../sip/hangup/build-bye.ts';
import type { ByeOutcome } from '../sip/hangup/bye-sender.ts';

/**
 * The typed IPC between the control section and its connection control sections (Bun.spawn
 * `ipc`, JSON serialisation). One union per direction; every message has a `type`.
 */

/** Load shedding in force: one owner of the type, the worker's admission control (sip/pipeline/admission-control.ts). */
export type { AdmissionRates } from '../sip/pipeline/admission-control.ts';

export type ControlToWorker =
  /** Registration changes made by another worker (or a peer): apply to the location view. */
  | { readonly type: 'bindings'; readonly changes: readonly BindingChange[] }
  /** Asks for this period's report. */
  | { readonly type: 'sample' }
  /**
   * Stop taking new work, finish open transactions, then exit. `keepShared`: the new workers
   * listen elsewhere (a reload changed the SIP port or address), so keep serving the in-dialog
   * requests of calls set up here on the shared sockets until SIGTERM. `releaseTrunks`: a new
   * worker registers the trunks now: stop refreshing them without unregistering.
   */
  | { readonly type: 'drain'; readonly keepShared?: boolean; readonly releaseTrunks?: boolean }
  /** New `[log]` format and levels (a reload): this worker's log lines follow at once. */
  | { readonly type: 'log-settings'; readonly settings: LogSettings }
  /** Shedding on (rates) or off (null). */
  | { readonly type: 'admission'; readonly admission: AdmissionRates | null }
  /** Asks for this worker's message trace of one call (answered with `trace`). */
  | { readonly type: 'trace-request'; readonly id: number; readonly callId: string }
  /** The admin changed extensions or DNS records in the store: reload them now, drop bindings of removed extensions. */
  | { readonly type: 'store-changed' }
  /** A sibling banned a SIP source (already in the store): apply it here too. */
  | { readonly type: 'ban'; readonly ban: BanRecord }
  /** Asks for what this worker's location view holds for one AOR (answered with `location`). */
  | { readonly type: 'location-request'; readonly id: number; readonly aor: string }
  /** SIP SRV targets for the DNS function (this appliance and its peers, with priorities). */
  | { readonly type: 'sip-targets'; readonly targets: readonly SipTarget[] }
  /** New work goes to a peer (hand-off), or stays here (null). */
  | { readonly type: 'hand-off'; readonly target: HandOffTarget | null }
  /** Which worker holds which TCP connection (null: closed), and every worker's Via port. */
  | { readonly type: 'tcp-owners'; readonly owners: readonly (readonly [string, number | null])[] }
  /**
   * Every worker's Via port, and the sibling link (sip/transport/sibling-link.ts): the key that
   * starts every frame between workers, and each worker's inbox port, for hot-flow spreading.
   */
  | { readonly type: 'siblings'; readonly viaPorts: readonly number[]; readonly spread?: { readonly key: string; readonly inboxes: readonly { readonly workerId: number; readonly port: number }[] } }
  /** A trunk's registration state, as the worker that registers it reported (every worker routes trunk calls). */
  | { readonly type: 'trunk-status'; readonly status: TrunkStatus }
  /** A sibling saw the trunk's provider leave a call unanswered: its calls get 503 for 30 s. */
  | { readonly type: 'trunk-unreachable'; readonly trunk: string }
  /** Busy lamps: the lamp board's changes (`reset`: the whole board, to a worker just started). */
  | { readonly type: 'lamps'; readonly changes: readonly LampChange[]; readonly reset?: boolean }
  /** To the notifier's worker (slot 0): a subscription was created, refreshed or ended in the store. */
  | { readonly type: 'subscription'; readonly id: string }
  /** To the worker whose fork holds the ringing call: pick it up for this phone. */
  | { readonly type: 'pickup'; readonly request: PickupRequest }
  /** The admin hangs up a call: send this BYE to one side (from the worker holding its flow), answer with `bye-outcome`. */
  | { readonly type: 'hangup'; readonly id: number; readonly bye: ByeSpec }
  /** Send the dialog events batched so far now, then `dialogs-flushed` (before a hang-up reads the calls view). */
  | { readonly type: 'dialogs-flush'; readonly id: number }
  /** Bytes for a TCP connection this worker holds (base64), sent on behalf of a sibling. */
  | TcpWrite
  /** A `tcp-write` of this worker's (its `id`) did not leave: no worker holds the connection, or the holder no longer has it. */
  | { readonly type: 'tcp-write-failed'; readonly id: number; readonly reason: string };

/**
 * A write to a TCP connection another worker holds (a call to a phone registered over TCP).
 * With an `id` the sender hears of a failure (`tcp-write-failed`): the control section knows
 * no holder, or the holder has no such connection any more (it closed just now, the tables
 * have not caught up), so the sender's transaction fails at once instead of waiting out
 * Timer B (RFC 3261 §17.1.4; for a flow, 430 Flow Failed, RFC 5626 §5.3.1).
 */
export interface TcpWrite {
  readonly type: 'tcp-write';
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly data: string;
  /** The sender's number for this write, when it wants to hear of a failure. */
  readonly id?: number;
  /** The sending worker (set by the control section on the way to the holder). */
  readonly from?: number;
  /** False: over the connection `key` only, never a new one (a flow, RFC 5626 §5.3); absent: true. */
  readonly connect?: boolean;
}

export type WorkerToControl =
  /** Started; `spreadPort`: its sibling link inbox (absent with `[overload] spread = false`). */
  | { readonly type: 'ready'; readonly workerId: number; readonly pid: number; readonly sipPort: number; readonly viaPort: number; readonly spreadPort?: number }
  /** This period's report, and the worker's cumulative counts since it started (the metrics). */
  | { readonly type: 'report'; readonly report: WorkerReport; readonly totals?: WorkerTotals }
  /** Registration changes decided by this worker, to spread to the others. */
  | { readonly type: 'bindings'; readonly changes: readonly BindingChange[] }
  /** This worker banned a SIP source (stored and logged already): spread it. */
  | { readonly type: 'ban'; readonly ban: BanRecord }
  /** Calls starting and ending, for the active calls view. */
  | { readonly type: 'dialogs'; readonly events: readonly DialogEvent[] }
  /** This worker's part of a call's message trace. */
  | { readonly type: 'trace'; readonly id: number; readonly entries: readonly TraceEntry[] }
  /** This worker's bindings of the AOR a `location-request` asked for. */
  | { readonly type: 'location'; readonly id: number; readonly bindings: readonly BindingRecord[] }
  /** A TCP connection opened or closed here. */
  | { readonly type: 'tcp'; readonly key: string; readonly open: boolean }
  /** A sibling's `tcp-write` (its `id`, from worker `to`) could not be sent here: the connection is gone. */
  | { readonly type: 'tcp-write-failed'; readonly id: number; readonly to: number; readonly reason: string }
  | TcpWrite
  /** A trunk's registration changed (only the worker in slot 0 registers trunks; appliance/trunks/). */
  | { readonly type: 'trunk-status'; readonly status: TrunkStatus }
  /** This worker's call to the trunk got no answer at all: tell the others. */
  | { readonly type: 'trunk-unreachable'; readonly trunk: string }
  /** A subscription was accepted, refreshed or ended here: for the notifier's worker. */
  | { readonly type: 'subscription'; readonly id: string }
  /** A pickup for the worker named in it (its fork holds the call). */
  | { readonly type: 'pickup'; readonly request: PickupRequest }
  /** How the BYE a `hangup` asked for ended (its final response, or 408). */
  | { readonly type: 'bye-outcome'; readonly id: number; readonly outcome: ByeOutcome }
  /** The dialog events this worker held went before this message (`dialogs-flush`). */
  | { readonly type: 'dialogs-flushed'; readonly id: number }
  /** Draining finished (or timed out): the worker exits right after. */
  | { readonly type: 'drained'; readonly openTransactions: number; readonly totals?: WorkerTotals };

/**
 * The environment variable carrying the config text the control section accepted last to a
 * worker it spawns (WorkerPool.configText): the worker parses it instead of reading the file.
 * Readable only by the appliance's own user (/proc/<pid>/environ is 0400), like the file.
 */
export const CONFIG_TEXT_ENV = 'OFFICE_APPLIANCE_CONFIG_TEXT';

/** Narrowing helper for messages arriving from the other side (defensive: IPC is an edge). */
export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
