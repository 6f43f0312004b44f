/**
 * Shapes of the API's replies, as the UI uses them (docs/API.md). Where the API declares its
 * reply's type, the UI imports it (types only: nothing of the server reaches the bundle);
 * FIXME: the rest are still copies of what the routes build inline.
 */
import type { DashboardSample } from '../appliance/web/api/dashboard-sample.ts';
import type { PeerRow, WorkerSummary } from '../appliance/web/appliance-view.ts';
import type { EventRecord } from '../system/store/events-store.ts';

/** One dashboard sample (`GET /api/dashboard`, live stream): the API's own type. */
export type Sample = DashboardSample;
export interface Registration {
  aor: string; extension: string; contact: string; source: string; transport: string; userAgent: string; expiresAt: number; expiresIn: number;
  /** The phone registered from behind NAT: reached at `source`, not its Contact. */
  behindNat: boolean;
}
export interface Call { callId: string; from: string; to: string; startedAt: number; worker: number; endedAt?: number }
/** A call detail record (`GET /api/call-records`; system/store/call-records-store.ts). */
export interface CallRecord {
  id: number; callId: string; from: string; to: string; routedTo: string | null; direction: string; trunk: string | null;
  startedAt: number; answeredAt: number | null; endedAt: number | null; result: number | null; reason: string | null; worker: number | null;
}
export type Worker = WorkerSummary;
export type Peer = PeerRow;
export type EventEntry = EventRecord;
/** A call ringing now, from the busy lamps (`snapshot.calls.ringing`). */
export interface RingingCall { callId: string; from: string; callees: string[]; since: number }
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
/** A trunk's registration state and account (`GET /api/trunks`; never the password). */
export interface Trunk {
  name: string; state: 'registering' | 'up' | 'failed' | 'unregistered' | 'static'; reason: string | null; registrar: string;
  expiresAt: number | null; expiresInSeconds: number | null; retryAt: number | null;
  transport: string | null; username: string | null; domain: string | null; register: boolean | null; callerId: string | null;
  authUsername: string | null; keepalive: number | null; tlsCa: string | null;
  /** `config`: fixed, edited in the configuration file; `store`: added in the UI or CLI, editable. */
  origin: Origin;
  /** The peer group member a stored trunk's last edit was made on (null: from the config file, before replication, or no peers). */
  editedOn?: string | null;
}
/** Where a trunk, route or inbound number comes from (docs/TRUNKS.md "Who owns what"). */
export type Origin = 'config' | 'store';
/** The configured dial plan (`GET /api/dial-plan`). */
export interface DialPlan {
  trunks: string[];
  routes: { name: string; pattern: string; replace: string; trunk: string; class: CallClass; failover: string[]; origin: Origin; id?: number }[];
  inbound: { did: string; match: 'number' | 'pattern' | 'any'; trunk: string; to: string; origin: Origin; id?: number }[];
  /** `fixed`: the configuration file names the trunk. */
  emergency: { numbers: string[]; trunk: string | null; fixed: boolean };
  skipped: { id: number; kind: string; name: string | null; reason: string }[];
}
export interface DnsRecord {
  id?: number; name: string; type: string; value: string; ttl: number; derived: string | null;
  /** The peer group member an admin record's last edit was made on (null: derived, before replication, or no peers). */
  editedOn?: string | null;
}
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
/** A busy lamp (`GET /api/lamps`): an extension with a dialog now; one not listed is idle. */
export interface Lamp {
  extension: string; state: 'idle' | 'ringing' | 'in-call';
  dialogs: { callId: string; direction: 'initiator' | 'recipient'; state: 'trying' | 'early' | 'confirmed' | 'terminated'; peer: string; since: number }[];
}
