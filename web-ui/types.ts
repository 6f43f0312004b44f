/**
 * Shapes of the API's replies, as the UI uses them (docs/API.md). Where the API declares its
 * reply's type (an interface, or a `present…` function's return type), the UI imports it
 * (`import type`: erased, nothing of the server reaches the bundle); FIXME: Snapshot,
 * Extension, RingGroup, CallFeatures, FeatureCodes and the enumerations are still copies of
 * what the routes build inline or in functions they do not export.
 */
import type { DashboardSample } from '../appliance/web/api/dashboard-sample.ts';
import type { PeerRow, WorkerSummary } from '../appliance/web/appliance-view.ts';
import type { EventRecord } from '../system/store/events-store.ts';
import type { CallRecord as StoredCallRecord } from '../system/store/call-records-store.ts';
import type { presentBinding } from '../appliance/web/api/registrations-api.ts';
import type { presentLamp, RingingCall as RingingCallView } from '../appliance/web/api/lamps-api.ts';
import type { ActiveCall, EndedCall } from '../appliance/control/calls-view.ts';
import type { DialPlanView } from '../appliance/web/api/dial-plan-api.ts';
import type { presentTrunk } from '../appliance/trunks/trunk-status.ts';
import type { ListedRecord } from '../appliance/dns/admin-records.ts';

/** One dashboard sample (`GET /api/dashboard`, live stream): the API's own type. */
export type Sample = DashboardSample;
/** A registration (`GET /api/registrations`, the live snapshot): the API's presentBinding. */
export type Registration = ReturnType<typeof presentBinding>;
/** An active call, or a recent one with its end (`snapshot.calls`; control/calls-view.ts). */
export type Call = ActiveCall & Partial<Pick<EndedCall, 'endedAt' | 'reason'>>;
/** A call detail record (`GET /api/call-records`): the store's row as it is. */
export type CallRecord = StoredCallRecord;
export type Worker = WorkerSummary;
export type Peer = PeerRow;
export type EventEntry = EventRecord;
/** A call ringing now, from the busy lamps (`snapshot.calls.ringing`): the API's own type. */
export type RingingCall = RingingCallView;
export interface Snapshot {
  registrations: Registration[];
  calls: { active: Call[]; ringing?: RingingCall[]; recent: Call[] };
  workers: Worker[];
  peers: Peer[];
  events: EventEntry[];
}
/** Digest algorithms an extension's phones are challenged with. */
export type DigestPolicy = 'default' | 'md5' | 'both' | 'sha-256';
export interface Extension {
  number: string; displayName: string; e164: string | null; digest: DigestPolicy; sha256Learnt: string[];
  createdAt: number; updatedAt: number; registered: number;
  /** The peer group member its last edit was made on (null: before replication, or no peers). */
  editedOn: string | null;
  /** Outside-call permissions (docs/TRUNKS.md "Permissions of an extension"). */
  callClass: CallClass; maxOutsideCalls: number; outsideCallsPerHour: number; outboundCallerId: string | null;
}
/** The dial plan's call classes, cheapest first (system/config/trunk-config.ts). */
export type CallClass = 'internal' | 'local' | 'national' | 'international' | 'premium';
/** A trunk's registration state and account (`GET /api/trunks`; never the password): presentTrunk, and what the route adds. */
export type Trunk = ReturnType<typeof presentTrunk> & {
  /** `config`: fixed, edited in the configuration file; `store`: added in the UI or CLI, editable. */
  origin: Origin;
  /** The peer group member a stored trunk's last edit was made on (null: from the config file, before replication, or no peers). */
  editedOn?: string | null;
};
/** Where a trunk, route or inbound number comes from (docs/TRUNKS.md "Who owns what"). */
export type Origin = 'config' | 'store';
/** The configured dial plan (`GET /api/dial-plan`): the API's own type. */
export type DialPlan = DialPlanView;
/** A DNS record (`GET /api/dns` `records`): the admin service's listed record, as the route sends it. */
export type DnsRecord = Omit<ListedRecord, 'derived'> & {
  /** Where a derived record comes from; null for an admin record. */
  derived: string | null;
  /** The peer group member an admin record's last edit was made on (null: derived, before replication, or no peers). */
  editedOn?: string | null;
};
/** A ring group (`GET /api/groups`; docs/PBX.md). Members in hunt order. */
export interface RingGroup {
  number: string; name: string; strategy: 'ring-all' | 'hunt'; members: string[]; ringSeconds: number; timeoutSeconds: number; fallback: string | null;
  /** The group's permissions for its outside members (docs/PBX.md). */
  callClass: string; maxOutsideCalls: number; outsideCallsPerHour: number;
  /** The peer group member its last edit was made on (null: before replication, or no peers). */
  editedOn?: string | null;
}
/** An extension's forwarding and do-not-disturb (`GET /api/features`). */
export interface CallFeatures {
  extension: string; dnd: boolean; forwardAlways: string | null; forwardBusy: string | null; forwardNoAnswer: string | null; noAnswerSeconds: number; forwardUnreachable: string | null;
  /** Its own voicemail server; null: the office's. */
  voicemailUri: string | null;
}
/** The phones' feature codes and the voicemail server (`GET /api/feature-codes`). */
export interface FeatureCodes {
  codes: { code: string; action: string }[];
  voicemail: { uri: string; onBusy: boolean; onNoAnswer: boolean; noAnswerSeconds: number } | null;
}
/** A busy lamp (`GET /api/lamps`): an extension with a dialog now; one not listed is idle. The API's presentLamp. */
export type Lamp = ReturnType<typeof presentLamp>;
