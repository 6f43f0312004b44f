/**
 * Shapes of the API's replies, as the UI uses them (docs/API.md): each is the type of what the
 * route sends (an interface, or a `present…` function's return type), imported with
 * `import type` (erased, nothing of the server reaches the bundle), never a copy: a field the
 * API renames breaks the UI's type check (`tsc -p .` covers web-ui/).
 */
import type { DashboardSample } from '../appliance/web/api/dashboard-sample.ts';
import type { PeerRow, WorkerSummary } from '../appliance/web/appliance-view.ts';
import type { EventRecord } from '../system/store/events-store.ts';
import type { CallRecord as StoredCallRecord } from '../system/store/call-records-store.ts';
import type { presentBinding } from '../appliance/web/api/registrations-api.ts';
import type { presentLamp, RingingCall as RingingCallView } from '../appliance/web/api/lamps-api.ts';
import type { ActiveCall, EndedCall } from '../appliance/control/calls-view.ts';
import type { DialPlanView } from '../appliance/web/api/dial-plan-api.ts';
import type { TrunkView } from '../appliance/web/api/trunks-api.ts';
import type { DnsListView } from '../appliance/web/api/dns-api.ts';
import type { LiveSnapshot } from '../appliance/web/api/live-api.ts';
import type { ExtensionView } from '../appliance/web/api/extensions-api.ts';
import type { CallFeaturesView, FeatureCodesView, RingGroupView } from '../appliance/web/api/ring-groups-api.ts';
import type { DigestPolicy as StoredDigestPolicy } from '../system/store/extensions-store.ts';
import type { CallClass as DialPlanCallClass } from '../system/config/trunk-config.ts';
import type { Origin as LineOrigin } from '../appliance/trunks/outside-line.ts';
import type { RestoreView, SystemView } from '../appliance/web/api/system-api.ts';
import type { CertificateView, TlsView } from '../appliance/web/tls/tls-api.ts';
import type { BanView } from '../appliance/web/api/bans-api.ts';
import type { ScheduledBackupsView } from '../appliance/web/api/backups-api.ts';
import type { ImportRowError as ExtensionImportRowError, ImportView, ProvisioningView } from '../appliance/web/api/extensions-api.ts';
import type { HangupReply as CallHangupReply, LadderStep, LadderView } from '../appliance/web/api/calls-api.ts';
import type { CallRecordsView } from '../appliance/web/api/call-records-api.ts';
import type { HandOffReply as PeerHandOffReply, PolicyEditsView, ReloadReply as ConfigReloadReply, SituationView } from '../appliance/web/api/control-api.ts';
import type { SessionView } from '../appliance/web/auth/auth-api.ts';

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
/** The live stream's lists (`event: snapshot`, and `GET /api/status`): the API's liveSnapshot. */
export type Snapshot = LiveSnapshot;
/** Digest algorithms an extension's phones are challenged with: the store's. */
export type DigestPolicy = StoredDigestPolicy;
/** An extension (`GET /api/extensions`): the API's presentExtension. */
export type Extension = ExtensionView;
/** The dial plan's call classes (a route's, an extension's or ring group's permission): the config's. */
export type CallClass = DialPlanCallClass;
/** A trunk's registration state and account (`GET /api/trunks`; never the password), where it comes from: the API's listedTrunk. */
export type Trunk = TrunkView;
/** Where a trunk, route or inbound number comes from (docs/TRUNKS.md "Who owns what"): the outside line's. */
export type Origin = LineOrigin['from'];
/** The configured dial plan (`GET /api/dial-plan`): the API's own type. */
export type DialPlan = DialPlanView;
/** The DNS page's list (`GET /api/dns`): the zone, the types an admin may add, the records. The API's presentDnsList. */
export type DnsList = DnsListView;
/** A DNS record of that list (admin or derived). */
export type DnsRecord = DnsListView['records'][number];
/** A ring group (`GET /api/groups`; docs/PBX.md), members in hunt order: the API's presentGroup. */
export type RingGroup = RingGroupView;
/** An extension's forwarding and do-not-disturb (`GET /api/features`): the API's presentFeatures. */
export type CallFeatures = CallFeaturesView;
/** The phones' feature codes and the voicemail server (`GET /api/feature-codes`): the API's presentFeatureCodes. */
export type FeatureCodes = FeatureCodesView;
/** A busy lamp (`GET /api/lamps`): an extension with a dialog now; one not listed is idle. The API's presentLamp. */
export type Lamp = ReturnType<typeof presentLamp>;
/** The System page's appliance and sensors (`GET /api/system`): the API's presentSystem. */
export type SystemInfo = SystemView;
/** The certificates (`GET /api/tls`): the admin listener's, and the SIP one with SIP over TLS. The API's presentTls. */
export type TlsInfo = TlsView;
/** One certificate of that reply. */
export type CertInfo = CertificateView;
/** A restore's reply (`POST /api/system/restore`, a scheduled backup's restore): the API's presentRestore. */
export type Restored = RestoreView;
/** The scheduled backups (`GET /api/system/backups`): the API's presentScheduledBackups. */
export type ScheduledBackups = ScheduledBackupsView;
/** A banned SIP source (`GET /api/bans`): the API's presentBan. */
export type Ban = BanView;
/** What a phone needs from this appliance (`GET /api/provisioning`): the API's presentProvisioning. */
export type Provisioning = ProvisioningView;
/** A CSV import's reply (`POST /api/extensions/import`). */
export type ImportReply = ImportView;
/** A bad line of a refused import (its error body's `rows`). */
export type ImportRowError = ExtensionImportRowError;
/** A hang-up's reply (`POST /api/calls/:callId/hangup`): done, or pending while a phone has not answered. */
export type HangupReply = CallHangupReply;
/** A call's ladder (`GET /api/calls/:callId/ladder`). */
export type Ladder = LadderView;
/** One arrow of a ladder. */
export type Step = LadderStep;
/** The call records (`GET /api/call-records`). */
export type CallRecords = CallRecordsView;
/** The policy's keys (`GET` / `PUT /api/policy`). */
export type PolicyEdits = PolicyEditsView;
/** A manual hand-off's or take-back's reply. */
export type HandOffReply = PeerHandOffReply;
/** The situation switch's reply (`POST /api/peers/situation`). */
export type SituationReply = SituationView;
/** A config reload's reply (`POST /api/control/reload`). */
export type ReloadReply = ConfigReloadReply;
/** Whether setup is pending and the caller logged in (`GET /api/session`). */
export type Session = SessionView;
