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
