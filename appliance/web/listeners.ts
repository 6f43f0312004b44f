import type { BunRequest, Server } from 'bun';
import type { AdminCertificate } from './tls/certificate.ts';
import type { HostCheck } from './host-allowlist.ts';
import { misdirected } from './host-allowlist.ts';

/**
 * The sockets of the admin side (Bun.serve): the admin listener, the optional peer listener
 * and the optional plain-HTTP redirect listener. Bun's `routes` dispatch by path and method;
 * every handler (each route's, each method's, and the fallback for what no route matches) is
 * wrapped here in the same prologue and epilogue, so nothing is served without them: the Host
 * check first (host-allowlist.ts), on every route, public ones included; the client address;
 * a thrown error turned into its reply; `Connection: close` on a refused request with a body.
 */
export type ListenerHandler<R extends Request = Request> = (req: R, client: string) => Response | Promise<Response>;

/** The methods a `routes` entry can name (Bun's `HTTPMethod`); Bun answers HEAD with GET's handler. */
export const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];

/** One `routes` entry: a handler for every method, or one per method (the others fall through). */
export type ListenerRoute = ListenerHandler<BunRequest> | Partial<Record<RouteMethod, ListenerHandler<BunRequest>>>;

export interface ListenerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly tls?: AdminCertificate;
  readonly hostAllowed: HostCheck;
  /** Bun refuses larger bodies by itself; handlers apply the per-route limits below it. */
  readonly maxRequestBodySize: number;
  /** Bun.serve `routes`: `/a/:param` paths and `/prefix/*` wildcards (Bun's precedence: exact, param, wildcard). */
  readonly routes: Readonly<Record<string, ListenerRoute>>;
  /** What no route matches. */
  readonly fallback: ListenerHandler;
  /** The reply to an error a handler threw. */
  readonly onError: (err: unknown) => Response;
}

/** Starts one listener. */
export function listen(opts: ListenerOptions): Server<undefined> {
  const guard = <R extends Request>(handler: ListenerHandler<R>) => async (req: R, srv: Server<undefined>): Promise<Response> => {
    if (!opts.hostAllowed(req.headers.get('host'))) return misdirected();
    const client = srv.requestIP(req)?.address ?? 'unknown';
    let res: Response;
    try {
      res = await handler(req, client);
    } catch (err) {
      res = opts.onError(err);
    }
    // A refused request that came with a body (too large, or refused before it was read, or
    // read only in part): close the connection rather than drain what the client still sends.
    // Bun gives a GET or HEAD no `body` even when it declares one, hence the headers too.
    if (res.status >= 400 && hasBody(req)) return withHeader(res, 'Connection', 'close');
    return res;
  };
  const routes = Object.fromEntries(Object.entries(opts.routes).map(([path, route]) => [path, typeof route === 'function'
    ? guard(route)
    : Object.fromEntries(Object.entries(route).map(([method, handler]) => [method, guard(handler)]))]));
  return Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    maxRequestBodySize: opts.maxRequestBodySize,
    idleTimeout: 30,
    ...(opts.tls ? { tls: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
    routes,
    fetch: guard(opts.fallback),
  });
}

/**
 * Plain HTTP that sends every request to the same path on the HTTPS listener with 308
 * Permanent Redirect (RFC 9110 §15.4.9: method and body are kept).
 */
export function listenRedirect(hostname: string, port: number, httpsPort: number, hostAllowed: HostCheck): Server<undefined> {
  return Bun.serve({
    hostname,
    port,
    maxRequestBodySize: 1024,
    idleTimeout: 10,
    fetch(req) {
      const host = req.headers.get('host');
      if (!hostAllowed(host)) return misdirected();
      const url = new URL(req.url);
      const name = host!.replace(/:\d+$/, '');
      const target = `https://${name}${httpsPort === 443 ? '' : `:${httpsPort}`}${url.pathname}${url.search}`;
      return new Response(null, { status: 308, headers: { Location: target, 'Cache-Control': 'no-store', Connection: 'close' } });
    },
  });
}

/** How a listen address shows in a URL (0.0.0.0 as 127.0.0.1, IPv6 in brackets). */
export function urlHost(listen: string): string {
  if (listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '[::1]';
  return listen.includes(':') ? `[${listen}]` : listen;
}

function hasBody(req: Request): boolean {
  const length = req.headers.get('content-length');
  return req.body !== null || (length !== null && length.trim() !== '0') || req.headers.has('transfer-encoding');
}

function withHeader(res: Response, name: string, value: string): Response {
  const headers = new Headers(res.headers);
  headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
