import type { ApplianceConfig } from '../../../system/config/index.ts';
import { ValidationError } from '../../../system/errors/index.ts';
import type { CallFeatures, RingGroupRecord } from '../../../system/store/index.ts';
import { CallFeaturesService } from '../../admin/call-features-service.ts';
import { RingGroupService } from '../../admin/ring-group-service.ts';
import { outsideForwardCheck, outsideMemberCheck } from '../../admin/outside-forward-check.ts';
import { voicemailUriCheck } from '../../admin/voicemail-uri-check.ts';
import { Fields, json, noContent, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { editedOn } from './edited-on.ts';
import { featureCodeList } from '../../sip/pbx/feature-code.ts';

const GROUP_FIELDS = ['number', 'name', 'strategy', 'members', 'ringSeconds', 'timeoutSeconds', 'fallback', 'callClass', 'maxOutsideCalls', 'outsideCallsPerHour'];
const FEATURE_FIELDS = ['dnd', 'forwardAlways', 'forwardBusy', 'forwardNoAnswer', 'noAnswerSeconds', 'forwardUnreachable', 'voicemailUri'];

/**
 * A ring group as the API shows it (`GET /api/groups`, members in hunt order; docs/PBX.md).
 * `editedOn`: the member of the peer group its last edit was made on (issue 19; null: before
 * replication, no peers, or a reply to a POST or PUT).
 */
export function presentGroup(g: RingGroupRecord, editedOn: string | null = null) {
  return {
    number: g.number, name: g.name, strategy: g.strategy, members: g.members, ringSeconds: g.ringSeconds,
    timeoutSeconds: g.timeoutSeconds, fallback: g.fallback, callClass: g.callClass, maxOutsideCalls: g.maxOutsideCalls,
    outsideCallsPerHour: g.outsideCallsPerHour, createdAt: g.createdAt, updatedAt: g.updatedAt, editedOn,
  };
}

/** A ring group of `GET /api/groups`: the UI's `RingGroup`. */
export type RingGroupView = ReturnType<typeof presentGroup>;

/** An extension's forwarding and do-not-disturb (`GET /api/features`, `/api/extensions/:number/features`). */
export function presentFeatures(f: CallFeatures) {
  return {
    extension: f.extension, dnd: f.dnd, forwardAlways: f.forwardAlways, forwardBusy: f.forwardBusy,
    forwardNoAnswer: f.forwardNoAnswer, noAnswerSeconds: f.noAnswerSeconds, forwardUnreachable: f.forwardUnreachable,
    voicemailUri: f.voicemailUri,
  };
}

/** An extension's forwarding as the API sends it: the UI's `CallFeatures`. */
export type CallFeaturesView = ReturnType<typeof presentFeatures>;

/** What the phones dial (`[feature_codes]`) and where unanswered calls go (`[voicemail]`): `GET /api/feature-codes`. */
export function presentFeatureCodes(config: Pick<ApplianceConfig, 'featureCodes' | 'voicemail'>) {
  const vm = config.voicemail;
  return {
    codes: featureCodeList(config.featureCodes),
    voicemail: vm.uri ? { uri: vm.uri, onBusy: vm.onBusy, onNoAnswer: vm.onNoAnswer, noAnswerSeconds: vm.noAnswerSeconds } : null,
  };
}

/** The feature codes and voicemail server as the API sends them: the UI's `FeatureCodes`. */
export type FeatureCodesView = ReturnType<typeof presentFeatureCodes>;

/** A member list from a JSON body: an array of short strings (the service checks they are extensions or outside numbers). */
function members(body: Record<string, unknown>): string[] | undefined {
  const v = body.members;
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > 32 || v.some((m) => typeof m !== 'string' || m.length > 16)) {
    throw new ValidationError('members must be a list of at most 32 extension or outside numbers', 'members');
  }
  return v as string[];
}

/** A group's fields from a JSON body, read once and handed to RingGroupService (the CLI's validation). */
function groupInput(f: Fields, body: Record<string, unknown>) {
  return {
    name: f.string('name', { max: 200 }),
    strategy: f.string('strategy', { max: 16 }),
    members: members(body),
    ringSeconds: f.int('ringSeconds') ?? undefined,
    timeoutSeconds: f.int('timeoutSeconds') ?? undefined,
    fallback: f.nullableString('fallback'),
    callClass: f.string('callClass', { max: 16 }),
    maxOutsideCalls: f.int('maxOutsideCalls') ?? undefined,
    outsideCallsPerHour: f.int('outsideCallsPerHour') ?? undefined,
  };
}

/** Ring groups CRUD and per-extension forwarding / do-not-disturb (issue 15, docs/API.md). */
export function ringGroupRoutes({ config, store }: ApiDeps): Route[] {
  const groups = new RingGroupService(store, config.emergency.numbers, config.voicemail.uri !== undefined, outsideMemberCheck(config, store));
  const features = new CallFeaturesService(store, outsideForwardCheck(config, store), voicemailUriCheck(config, store));
  return [
    { method: 'GET', path: '/api/groups', handler: () => json(groups.list().map((g) => presentGroup(g, editedOn({ config, store }, 'ring-group', g.number)))) },
    {
      method: 'POST', path: '/api/groups', handler: async ({ req }) => {
        const body = await readJsonObject(req);
        const f = new Fields(body, GROUP_FIELDS);
        return json(presentGroup(groups.add({ number: f.string('number', { required: true, max: 16 })!, ...groupInput(f, body) })), 201);
      },
    },
    {
      method: 'PUT', path: '/api/groups/:number', handler: async ({ req, params }) => {
        const body = await readJsonObject(req);
        const f = new Fields(body, GROUP_FIELDS.filter((k) => k !== 'number'));
        return json(presentGroup(groups.update({ number: params.number, ...groupInput(f, body) })));
      },
    },
    {
      method: 'DELETE', path: '/api/groups/:number', handler: ({ params }) => {
        groups.remove(params.number);
        return noContent();
      },
    },
    // Every extension's forwarding and DND in one list (the Forwarding page), nothing set = the defaults.
    { method: 'GET', path: '/api/features', handler: () => json(store.extensions.list().map((e) => presentFeatures(store.callFeatures.get(e.number)))) },
    // What the phones dial (`[feature_codes]`) and where unanswered calls go (`[voicemail]`): read-only, from the config.
    { method: 'GET', path: '/api/feature-codes', handler: () => json(presentFeatureCodes(config)) },
    { method: 'GET', path: '/api/extensions/:number/features', handler: ({ params }) => json(presentFeatures(features.get(params.number))) },
    {
      method: 'PUT', path: '/api/extensions/:number/features', handler: async ({ req, params }) => {
        const body = await readJsonObject(req);
        const f = new Fields(body, FEATURE_FIELDS);
        const n = params.number;
        if (body.dnd !== undefined) {
          if (typeof body.dnd !== 'boolean') throw new ValidationError('dnd must be true or false', 'dnd');
        }
        // Read every field before changing anything: one bad field changes nothing.
        const forwards = ([['always', 'forwardAlways'], ['busy', 'forwardBusy'], ['noanswer', 'forwardNoAnswer'], ['unreachable', 'forwardUnreachable']] as const)
          .map(([kind, field]) => [kind, f.nullableString(field)] as const);
        const after = f.int('noAnswerSeconds', { min: 5, max: 120 }) ?? undefined;
        const vm = f.nullableString('voicemailUri');
        features.get(n);
        for (const [kind, target] of forwards) if (target !== undefined && target !== null && target !== '') features.check(n, kind, target);
        if (vm !== undefined) features.checkVoicemail(n, vm);
        for (const [kind, target] of forwards) if (target !== undefined) features.forward(n, kind, target || null, kind === 'noanswer' ? after : undefined);
        if (after !== undefined && forwards[2][1] === undefined) features.forward(n, 'noanswer', features.get(n).forwardNoAnswer, after);
        if (typeof body.dnd === 'boolean') features.dnd(n, body.dnd);
        if (vm !== undefined) features.voicemail(n, vm);
        return json(presentFeatures(features.get(n)));
      },
    },
  ];
}
