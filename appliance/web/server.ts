import type { ApplianceConfig } from '../../system/config/index.ts';
import { ApplianceError } from '../../system/errors/index.ts';
import type { Store } from '../../system/store/index.ts';
import { callRoutes } from './api/calls-api.ts';
import { controlRoutes } from './api/control-api.ts';
import { dnsRoutes } from './api/dns-api.ts';
import { eventRoutes } from './api/events-api.ts';
import { extensionRoutes } from './api/extensions-api.ts';
import { liveRoutes } from './api/live-api.ts';
import { registrationRoutes } from './api/registrations-api.ts';
import { systemRoutes } from './api/system-api.ts';
import type { ApplianceView } from './appliance-view.ts';
import { WebAuth, type AuthOptions } from './auth/auth-api.ts';
import { errorResponse, json } from './http.ts';
import { Router } from './router.ts';
import { MAX_RESTORE_BYTES } from './store-backup.ts';
import { assetResponse, uiAssets } from './ui-assets.ts';

export type RouteHandler = (req: Request) => Response | Promise<Response>;

export interface WebServerOptions {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly view: ApplianceView;
  readonly print?: (line: string) => void;
  /**
   * Routes served before the admin session check (the peer API, issue 5, with its own HMAC
   * auth). A key ending in `/` matches every path under it; any other key matches exactly.
   */
  readonly extraRoutes?: Record<string, RouteHandler>;
  /** Login and session limits (tests shorten them). */
  readonly auth?: AuthOptions;
}

export interface RunningWebServer {
  readonly port: number;
  readonly url: string;
  /** Set while no admin password exists: the one-time first-run setup token (also printed). */
  readonly setupToken?: string;
  stop(): Promise<void>;
}

/**
 * The local web UI and its JSON API (docs/API.md) on `[web] listen:port` (0 = any free port).
 * Request order: extra (peer) routes → /api/* (origin check, session, CSRF, handler) → the UI.
 */
export async function startWebServer(opts: WebServerOptions): Promise<RunningWebServer> {
  const { config, store, view } = opts;
  const print = opts.print ?? (() => {});
  const deps = { config, store, view, print };
  const auth = new WebAuth(store, opts.auth);
  const live = liveRoutes(deps, auth.sessions);
  const router = new Router([
    ...auth.routes(),
    ...live.routes,
    ...extensionRoutes(deps),
    ...registrationRoutes(deps),
    ...callRoutes(deps),
    ...dnsRoutes(deps),
    ...controlRoutes(deps),
    ...systemRoutes(deps),
    ...eventRoutes(deps),
  ]);
  const extra = Object.entries(opts.extraRoutes ?? {});
  const assets = await uiAssets();

  const server = Bun.serve({
    hostname: config.web.listen,
    port: config.web.port,
    maxRequestBodySize: MAX_RESTORE_BYTES + 1024,
    idleTimeout: 30,
    async fetch(req, srv) {
      const url = new URL(req.url);
      const path = url.pathname;
      try {
        for (const [key, handler] of extra) {
          if (key.endsWith('/') ? path.startsWith(key) : path === key) return await handler(req);
        }
        if (path.startsWith('/api/')) {
          const m = router.match(req.method, path);
          if (!m) throw new ApplianceError('not-found', `no API route ${path}`);
          if ('methods' in m) return json({ error: { code: 'method-not-allowed', message: `use ${m.methods.join(', ')}` } }, 405, { Allow: m.methods.join(', ') });
          const session = auth.gate(req, m.route.public === true);
          const client = srv.requestIP(req)?.address ?? 'unknown';
          return await m.route.handler({ req, url, params: m.params, session, client });
        }
        const asset = req.method === 'GET' || req.method === 'HEAD' ? assets.get(path === '/index.html' ? '/' : path) : undefined;
        if (asset) return assetResponse(asset);
        return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
      } catch (err) {
        return errorResponse(err, print);
      }
    },
  });

  const port = server.port ?? config.web.port;
  const shownHost = config.web.listen === '0.0.0.0' ? '127.0.0.1' : config.web.listen.includes(':') ? `[${config.web.listen}]` : config.web.listen;
  const url = `http://${shownHost}:${port}`;
  print(`web: admin UI on ${url}/`);
  const setupToken = auth.pendingSetupToken;
  if (setupToken) {
    // No default password: whoever can read this console sets the first one (issue 6).
    print(`web: first-run setup: open ${url}/#/setup/${setupToken}`);
    print(`web: one-time setup token: ${setupToken}`);
  }
  return {
    port, url, ...(setupToken ? { setupToken } : {}),
    async stop() {
      live.stop();
      await server.stop(true);
    },
  };
}
