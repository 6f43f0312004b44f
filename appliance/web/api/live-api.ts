import { presentBinding } from './registrations-api.ts';
import { dashboardSample } from './dashboard-sample.ts';
import { ringingCalls } from './lamps-api.ts';
import { intParam, json } from '../http.ts';
import type { Route } from '../router.ts';
import type { SessionTable } from '../auth/sessions.ts';
import type { ApiDeps } from './api-deps.ts';

/** How often the live stream checks for changed registrations, calls, workers, peers, events. */
const SNAPSHOT_MS = 1000;
/** A comment line keeps idle proxies and Bun's idle timeout from closing the stream. */
const KEEPALIVE_MS = 5000;

/**
 * The lists the live stream sends as one `snapshot` event whenever one of them changes (and
 * `/api/status` with the latest sample): the UI's `Snapshot` is this function's return type.
 */
export function liveSnapshot({ view, store, config }: Pick<ApiDeps, 'view' | 'store' | 'config'>) {
  return {
    registrations: view.registrations().map((b) => presentBinding(b, config.sip.domain)),
    calls: { active: view.activeCalls(), ringing: ringingCalls(view.lamps()), recent: view.recentCalls(20) },
    workers: view.workers(),
    peers: view.peers(),
    events: store.events.recent(10),
  };
}

/** The live stream's snapshot (`event: snapshot`), as the UI reads it. */
export type LiveSnapshot = ReturnType<typeof liveSnapshot>;

/**
 * The dashboard's data: the latest status, the sample history, and a live stream (Server-Sent
 * Events, HTML Living Standard §9.2) of each new sample plus a snapshot of the lists whenever
 * one of them changes. SSE rather than WebSocket: one direction is all the UI needs, and it
 * rides the same cookie session as every other request.
 */
export function liveRoutes(deps: ApiDeps, sessions: SessionTable): { routes: Route[]; stop(): void } {
  const { view } = deps;
  // Registration counts at each sample, since OperatingState does not carry them.
  const regCounts = new Map<number, number>();
  const unsubscribe = view.onSample((s) => {
    regCounts.set(s.ts, view.registrations().length);
    if (regCounts.size > 1000) regCounts.delete(regCounts.keys().next().value!);
  });
  const sampleOf = (s: Parameters<typeof dashboardSample>[0]) => dashboardSample(s, regCounts.get(s.ts) ?? null);

  const snapshot = () => liveSnapshot(deps);

  const routes: Route[] = [
    {
      method: 'GET', path: '/api/status', handler: () => {
        const last = view.history(1)[0];
        return json({ latest: last ? sampleOf(last) : null, ...snapshot() });
      },
    },
    { method: 'GET', path: '/api/history', handler: ({ url }) => json(view.history(intParam(url, 'limit', 300, 1, 900)).map(sampleOf)) },
    {
      method: 'GET', path: '/api/live', handler: ({ session, req }) => {
        const enc = new TextEncoder();
        let cleanup = () => {};
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            const send = (event: string, data: unknown) => {
              try {
                controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
              } catch {
                cleanup();
              }
            };
            let last = '';
            const tick = () => {
              if (!session || !sessions.alive(session)) {
                // The reason lets this tab say why it is back at the login page.
                send('logout', { reason: session ? sessions.endReason(session) : 'expired' });
                cleanup();
                try { controller.close(); } catch { /* closed already */ }
                return;
              }
              const snap = snapshot();
              const text = JSON.stringify(snap);
              if (text !== last) {
                last = text;
                send('snapshot', snap);
              }
            };
            const off = view.onSample((s) => send('sample', sampleOf(s)));
            const ticker = setInterval(tick, SNAPSHOT_MS);
            const keepalive = setInterval(() => {
              try { controller.enqueue(enc.encode(': keep-alive\n\n')); } catch { cleanup(); }
            }, KEEPALIVE_MS);
            cleanup = () => {
              off();
              clearInterval(ticker);
              clearInterval(keepalive);
            };
            req.signal.addEventListener('abort', () => cleanup());
            controller.enqueue(enc.encode('retry: 3000\n\n'));
            tick();
          },
          cancel() {
            cleanup();
          },
        });
        return new Response(stream, {
          headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
        });
      },
    },
  ];
  return { routes, stop: unsubscribe };
}
