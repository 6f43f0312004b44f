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

/** A call ringing now (not yet answered), as the Calls page lists it. */
export interface RingingCall {
  readonly callId: string;
  /** The caller's URI. */
  readonly from: string;
  /** The extensions whose phones ring for it (a ring group rings several). */
  readonly callees: readonly string[];
  /** When the first of them started ringing (epoch ms). */
  readonly since: number;
}

/**
 * The calls ringing now, from the busy lamps (the one place that follows unanswered calls
 * across every worker): each extension's dialogs it receives in RFC 4235 `trying` or `early`,
 * one entry per call, oldest first.
 */
export function ringingCalls(lamps: readonly ExtensionLamp[]): RingingCall[] {
  const calls = new Map<string, { callId: string; from: string; callees: string[]; since: number }>();
  for (const l of lamps) {
    for (const d of l.dialogs) {
      if (d.direction !== 'recipient' || (d.state !== 'trying' && d.state !== 'early')) continue;
      const c = calls.get(d.callId);
      if (!c) calls.set(d.callId, { callId: d.callId, from: d.peer, callees: [l.extension], since: d.since });
      else {
        if (!c.callees.includes(l.extension)) c.callees.push(l.extension);
        c.since = Math.min(c.since, d.since);
      }
    }
  }
  return [...calls.values()].map((c) => ({ ...c, callees: c.callees.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })) }))
    .sort((a, b) => a.since - b.since);
}

/** `GET /api/lamps`: busy lamps of every extension with a dialog now (docs/PBX.md "Busy lamps"; others are idle). */
export function lampRoutes({ view }: ApiDeps): Route[] {
  return [{ method: 'GET', path: '/api/lamps', handler: () => json(view.lamps().map(presentLamp)) }];
}
