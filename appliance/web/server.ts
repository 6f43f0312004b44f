import { MAX_IMPORT_BYTES } from '../admin/extension-csv.ts';
import type { Server } from 'bun';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { ApplianceError, statusFor } from '../../system/errors/index.ts';
import type { Store } from '../../system/store/index.ts';
import { callRoutes } from './api/calls-api.ts';
import { callRecordRoutes } from './api/call-records-api.ts';
import { controlApiRoutes } from './api/control-api.ts';
import { dnsRoutes } from './api/dns-api.ts';
import { eventRoutes } from './api/events-api.ts';
import { banRoutes } from './api/bans-api.ts';
import { trunkRoutes } from './api/trunks-api.ts';
import { dialPlanRoutes } from './api/dial-plan-api.ts';
import { extensionRoutes } from './api/extensions-api.ts';
import { ringGroupRoutes } from './api/ring-groups-api.ts';
import { liveRoutes } from './api/live-api.ts';
import { registrationRoutes } from './api/registrations-api.ts';
import { lampRoutes } from './api/lamps-api.ts';
import { systemRoutes } from './api/system-api.ts';
import { backupRoutes } from './api/backups-api.ts';
import type { ApplianceView } from './appliance-view.ts';
import { WebAuth, type AuthOptions } from './auth/auth-api.ts';
import { capBody, MAX_UNAUTHENTICATED_BODY_BYTES } from './body-limit.ts';
import { hostAllowlist } from './host-allowlist.ts';
import { errorResponse, json } from './http.ts';
import { listen, listenRedirect, ROUTE_METHODS, urlHost, type ListenerRoute } from './listeners.ts';
import { apiRoutes, type Route } from './router.ts';
import { MAX_RESTORE_BYTES } from './store-backup.ts';
import { certificateNames, loadOrCreateCertificate, type AdminCertificate } from './tls/certificate.ts';
import { tlsRoutes } from './tls/tls-api.ts';
import { loadSipCertificate } from '../sip/transport/tls-certificate.ts';
import { assetResponse, uiAssets, type Asset } from './ui-assets.ts';

/** A route mounted before the admin session check; `client` is the source address. */
export type RouteHandler = (req: Request, client: string) => Response | Promise<Response>;

export interface WebServerOptions {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly view: ApplianceView;
  readonly print?: (line: string) => void;
  /**
   * Routes served before the admin session check on the admin listener (the local command
   * channel, with its own token). A key ending in `/` matches every path under it; any other
   * key matches exactly.
   */
  readonly extraRoutes?: Record<string, RouteHandler>;
  /**
   * The peer API (issue 5, its own HMAC auth), keyed like `extraRoutes`: on the admin listener,
   * or alone on `[web] peer_listen:peer_port` when that is set.
   */
  readonly peerRoutes?: Record<string, RouteHandler>;
  /** Login, session and setup-token limits (tests shorten them). */
  readonly auth?: AuthOptions;
}

export interface RunningWebServer {
  readonly port: number;
  /** Base URL of the admin UI (https:// unless `[web] https = false`). */
  readonly url: string;
  /** Set while no admin password exists: the one-time first-run setup token (also printed). */
  readonly setupToken?: string;
  /** The TLS certificate served (undefined without HTTPS). */
  readonly certificate?: AdminCertificate;
  /** The separate peer listener, when `[web] peer_listen` is set. */
  readonly peerPort?: number;
  readonly peerUrl?: string;
  /** The HTTP → HTTPS redirect listener, when `[web] http_redirect_port` is set. */
  readonly redirectPort?: number;
  /** A new setup token (printed), replacing the old one; undefined once a password is set. */
  renewSetupToken(): string | undefined;
  stop(): Promise<void>;
}

/**
 * Routes that take more than 64 KiB, and how much: applied only after the session and CSRF
 * check (every other route, and every request before that check, gets 64 KiB).
 */
const LARGE_BODY_ROUTES: Readonly<Record<string, number>> = { '/api/system/restore': MAX_RESTORE_BYTES, '/api/extensions/import': MAX_IMPORT_BYTES };

/**
 * The local web UI and its JSON API (docs/API.md) on `[web] listen:port` (0 = any free port),
 * over HTTPS by default. Bun.serve `routes` dispatch (listeners.ts puts the Host allowlist, 421,
 * in front of every one): the extra and (when shared) peer routes; the API (router.ts: origin
 * check, session, CSRF, handler; 405 with Allow; 404 under /api/); the UI's files; 404 text for
 * the rest. Bodies: 64 KiB before the session check (413 from the Content-Length, chunked cut
 * while streaming).
 */
export async function startWebServer(opts: WebServerOptions): Promise<RunningWebServer> {
  const { config, store, view } = opts;
  const web = config.web;
  const print = opts.print ?? (() => {});
  const deps = { config, store, view, print };
  const certificate = web.https
    ? await loadOrCreateCertificate({ dataDir: config.dataDir, certPath: web.cert, keyPath: web.key, names: certificateNames(web.listen, web.hosts) })
    : undefined;
  const auth = new WebAuth(store, { setupTokenMs: web.setupTokenMinutes * 60_000, ...opts.auth });
  const live = liveRoutes(deps, auth.sessions);
  const table: Route[] = [
    ...auth.routes(),
    ...live.routes,
    ...extensionRoutes(deps),
    ...ringGroupRoutes(deps),
    ...registrationRoutes(deps),
    ...lampRoutes(deps),
    ...callRoutes(deps),
    ...callRecordRoutes(deps),
    ...dnsRoutes(deps),
    ...controlApiRoutes(deps),
    ...systemRoutes(deps),
    ...backupRoutes(deps),
    ...eventRoutes(deps),
    ...banRoutes(deps),
    ...trunkRoutes(deps),
    ...dialPlanRoutes(deps),
    ...tlsRoutes(certificate, config.sip.transports.includes('tls') ? await loadSipCertificate(config) : undefined),
  ];
  const api = apiRoutes(table, async (route, req, client) => {
    const isPublic = route.public === true;
    const large = isPublic ? undefined : LARGE_BODY_ROUTES[route.path];
    // Small limit before the gate; a route's larger one only once the gate has passed.
    const capped = large === undefined ? capBody(req, MAX_UNAUTHENTICATED_BODY_BYTES) : req;
    const session = auth.gate(capped, isPublic);
    const params = req.params as Readonly<Record<string, string>>;
    return await route.handler({ req: large === undefined ? capped : capBody(req, large), url: new URL(req.url), params, session, client });
  }, (allow) => withAllow(errorResponse(new ApplianceError('method-not-allowed', `use ${allow.join(', ')}`)), allow));
  const separatePeers = web.peerListen !== undefined;
  const peerRoutes = Object.entries(opts.peerRoutes ?? {});
  const extra = [...Object.entries(opts.extraRoutes ?? {}), ...(separatePeers ? [] : peerRoutes)];
  const assets = await uiAssets();
  const scheme = certificate ? 'https' : 'http';

  const admin = listen({
    hostname: web.listen, port: web.port, tls: certificate, hostAllowed: hostAllowlist(web.listen, web.hosts),
    maxRequestBodySize: MAX_RESTORE_BYTES + 1024,
    routes: oneTable(api, { '/api/*': apiUnmatched }, mountedRoutes(extra), assetRoutes(assets)),
    fallback(req) {
      capBody(req, MAX_UNAUTHENTICATED_BODY_BYTES);
      return new Response('not found', { status: statusFor('not-found').http, headers: { 'Content-Type': 'text/plain' } });
    },
    onError: (err) => errorResponse(err, print),
  });
  const servers: Server<undefined>[] = [admin];
  const port = admin.port ?? web.port;
  const url = `${scheme}://${urlHost(web.listen)}:${port}`;

  let peerPort: number | undefined;
  let peerUrl: string | undefined;
  if (web.peerListen !== undefined) {
    const peer = listen({
      hostname: web.peerListen, port: web.peerPort, tls: certificate, hostAllowed: hostAllowlist(web.peerListen, web.hosts),
      maxRequestBodySize: MAX_UNAUTHENTICATED_BODY_BYTES,
      routes: mountedRoutes(peerRoutes),
      fallback: () => errorResponse(new ApplianceError('not-found', 'only the peer API is served here'), print),
      onError: (err) => errorResponse(err, print),
    });
    servers.push(peer);
    peerPort = peer.port ?? web.peerPort;
    peerUrl = `${scheme}://${urlHost(web.peerListen)}:${peerPort}`;
    print(`web: peer API on ${peerUrl}/peer/ (not on the admin listener)`);
  }
  let redirectPort: number | undefined;
  if (certificate && web.httpRedirectPort !== 0) {
    const redirect = listenRedirect(web.listen, web.httpRedirectPort, port, hostAllowlist(web.listen, web.hosts));
    servers.push(redirect);
    redirectPort = redirect.port ?? web.httpRedirectPort;
    print(`web: http://${urlHost(web.listen)}:${redirectPort}/ redirects to ${url}/`);
  }

  print(`web: admin UI on ${url}/`);
  if (certificate) {
    const made = certificate.createdNow ? ' (generated now)' : certificate.generated ? ' (self-signed, generated earlier)' : '';
    print(`web: TLS certificate ${certificate.certPath}${made}`);
    print(`web: certificate SHA-256 fingerprint ${certificate.fingerprint}`);
  }
  const announceSetup = (token: string | undefined) => {
    if (!token) return;
    // No default password: whoever can read this console sets the first one (issue 6).
    print(`web: first-run setup: open ${url}/#/setup/${token}`);
    print(`web: one-time setup token: ${token} (valid for ${web.setupTokenMinutes} min, until ${new Date(auth.setupTokenExpiry!).toISOString()})`);
  };
  const setupToken = auth.pendingSetupToken;
  announceSetup(setupToken);
  return {
    port, url, ...(setupToken ? { setupToken } : {}), certificate, peerPort, peerUrl, redirectPort,
    renewSetupToken() {
      const token = auth.renewSetupToken();
      announceSetup(token);
      return token;
    },
    async stop() {
      live.stop();
      await Promise.all(servers.map((s) => s.stop(true)));
    },
  };
}

/**
 * Mounted handlers as `routes` entries, for every method, bodies capped at 64 KiB: a key ending
 * in `/` serves the paths under it (`/prefix/*`), any other key its path alone.
 */
function mountedRoutes(routes: readonly [string, RouteHandler][]): Record<string, ListenerRoute> {
  return Object.fromEntries(routes.map(([key, handler]) => [key.endsWith('/') ? `${key}*` : key,
    (req: Request, client: string) => handler(capBody(req, MAX_UNAUTHENTICATED_BODY_BYTES), client)]));
}

/** Under /api/ and matched by no route: 404; a method no route can take (PROPFIND, TRACE): 501 (RFC 9110 §15.6.2). */
function apiUnmatched(req: Request): Response {
  const path = new URL(req.url).pathname;
  if (!(ROUTE_METHODS as readonly string[]).includes(req.method)) throw new ApplianceError('method-not-implemented', `${req.method} is not a method of this API`);
  throw new ApplianceError('not-found', `no API route ${path}`);
}

/** The UI's files by path (the page also at /index.html), GET and HEAD; other methods fall back to 404. */
function assetRoutes(assets: ReadonlyMap<string, Asset>): Record<string, ListenerRoute> {
  const routes: Record<string, ListenerRoute> = {};
  for (const [path, asset] of [...assets, ...(assets.has('/') ? [['/index.html', assets.get('/')!] as const] : [])]) {
    routes[path] = { GET: (req) => (capBody(req, MAX_UNAUTHENTICATED_BODY_BYTES), assetResponse(asset)) };
  }
  return routes;
}

/** The listener's routes from their parts; a path claimed twice fails at start. */
function oneTable(...parts: Record<string, ListenerRoute>[]): Record<string, ListenerRoute> {
  const all: Record<string, ListenerRoute> = {};
  for (const part of parts) {
    for (const [path, route] of Object.entries(part)) {
      if (path in all) throw new Error(`web: the path ${path} is served twice`);
      all[path] = route;
    }
  }
  return all;
}

/** A 405 names the methods the path takes (RFC 9110 §15.5.6). */
function withAllow(res: Response, methods: readonly string[]): Response {
  res.headers.set('Allow', methods.join(', '));
  return res;
}
