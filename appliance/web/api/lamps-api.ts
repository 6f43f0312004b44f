import type { ExtensionLamp } from '../../sip/events/lamp-board.ts';
import { json } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';

/** An extension's lamp as the API shows it (the receptionist's console): no tags, no worker. */
export function presentLamp(l: ExtensionLamp) {
  return {
    extension: l.extension, state: l.state,
    dialogs: l.dialogs.map((d) => ({ callId: d.callId, direction: d.direction, state: d.state, peer: d.peer, since: d.since })),
  };
}

/** `GET /api/lamps`: busy lamps of every extension with a dialog now (docs/PBX.md "Busy lamps"; others are idle). */
export function lampRoutes({ view }: ApiDeps): Route[] {
  return [{ method: 'GET', path: '/api/lamps', handler: () => json(view.lamps().map(presentLamp)) }];
}
