import { ApplianceError } from '../../../system/errors/index.ts';
import { ValidationError } from '../../../system/errors/index.ts';
import { json, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import type { HandOffResult } from '../../peers/hand-off.ts';
import type { ReloadResult } from '../../control/config-reload.ts';
import type { PolicySettingView } from '../../control/policy-edits.ts';

/** `GET /api/peers`: the peers, this appliance's hand-off, traffic moves and shedding, the workers, the policy's settings. */
export function presentPeers(view: ApiDeps['view']) {
  return {
    peers: view.peers(), handOff: view.handOffStatus(), moves: view.trafficMoves(), shedding: view.sheddingStatus(), workers: view.workers(), policy: view.policySettings(),
  };
}

/** The Peers page's data as the API sends it: the UI's `PeersInfo`. */
export type PeersView = ReturnType<typeof presentPeers>;

/** `GET` and `PUT /api/policy`: every policy key, in force, the file's, its scope, its run-time edit. */
export interface PolicyEditsView {
  readonly settings: readonly PolicySettingView[];
}

/** `POST /api/peers/:name/hand-off` and `/api/control/take-back` (200; a refusal is a 409 error with the same message). */
export type HandOffReply = HandOffResult;

/** `POST /api/peers/situation`: the switch's outcome, with the traffic moves and the hand-off it led to. */
export function presentSituation(result: HandOffResult, view: ApiDeps['view']) {
  return { ...result, moves: view.trafficMoves(), handOff: view.handOffStatus() };
}

/** The situation switch's reply: the API's presentSituation. */
export type SituationView = ReturnType<typeof presentSituation>;

/** `POST /api/control/reload`: what the reload applied (a refusal is a 409 error, the key at fault as its field). */
export type ReloadReply = ReloadResult;

/**
 * Peers and control: peer state, this appliance's hand-off (its owner's status), the policy's
 * settings (the group's editable at run time, issue 19), manual hand-off / take-back, reload of the config file. A hand-off no peer accepted, or a take-back
 * with nothing handed off, or a refused reload, is a 409 in the error shape every endpoint uses, with the reason.
 */
export function controlApiRoutes({ view, store }: ApiDeps): Route[] {
  return [
    {
      method: 'GET', path: '/api/peers', handler: () => json(presentPeers(view)),
    },
    // Every policy key: in force, the file's, group or appliance, edited at run time on which member.
    { method: 'GET', path: '/api/policy', handler: () => json({ settings: view.policyEdits() } satisfies PolicyEditsView) },
    {
      // A run-time edit of the group's policy settings: {"scale_out_samples": 4, "shed_min_cut": null}
      // (null: the file's value again); checked as the config file is, replicated to the peers.
      method: 'PUT', path: '/api/policy', handler: async ({ req }) => json({ settings: view.editPolicy(await readJsonObject(req), 'api') } satisfies PolicyEditsView),
    },
    {
      // The situation switch (issue 19): {"on": true, "reason": "..."} evacuates this box until {"on": false}.
      method: 'POST', path: '/api/peers/situation', handler: async ({ req }) => {
        const body = await readJsonObject(req);
        for (const k of Object.keys(body)) if (k !== 'on' && k !== 'reason') throw new ValidationError(`unknown field "${k}"`, k);
        if (typeof body.on !== 'boolean') throw new ValidationError('on must be true or false', 'on');
        if (body.reason !== undefined && typeof body.reason !== 'string') throw new ValidationError('reason must be a string', 'reason');
        const reason = (body.reason as string | undefined) ?? '';
        if (body.on && reason.trim() === '') throw new ValidationError('a reason is required to evacuate', 'reason');
        if (reason.length > 200 || /[\u0000-\u001f\u007f]/.test(reason)) throw new ValidationError('reason must be one line of at most 200 characters', 'reason');
        const result = await view.situation(body.on, reason);
        if (!result.ok) throw new ApplianceError('conflict', result.message);
        return json(presentSituation(result, view));
      },
    },
    {
      method: 'POST', path: '/api/peers/:name/hand-off', handler: async ({ params }) => {
        if (!view.peers().some((p) => p.name === params.name)) throw new ApplianceError('not-found', `no peer named "${params.name}"`);
        const result = await view.handOff(params.name);
        store.events.append('admin.hand-off', `manual hand-off to ${params.name}: ${result.message}`, { peer: params.name, ok: result.ok });
        if (!result.ok) throw new ApplianceError('conflict', result.message, { attempts: result.attempts ?? [] });
        return json(result);
      },
    },
    {
      // Re-read the config file (issue 17); the session and CSRF checks come first, as for every POST.
      method: 'POST', path: '/api/control/reload', handler: async () => {
        const result = await view.reload();
        // Refused (invalid file, a key needing a restart): 409, the config key at fault as the field.
        if (!result.ok) throw new ApplianceError('conflict', result.message, result.key ? { field: result.key } : {});
        return json(result);
      },
    },
    {
      method: 'POST', path: '/api/control/take-back', handler: async () => {
        const result = await view.takeBack();
        store.events.append('admin.take-back', `manual take-back: ${result.message}`, { ok: result.ok });
        if (!result.ok) throw new ApplianceError('conflict', result.message);
        return json(result);
      },
    },
  ];
}
