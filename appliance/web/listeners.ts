import type { Server } from 'bun';
import type { AdminCertificate } from './tls/certificate.ts';
import type { HostCheck } from './host-allowlist.ts';
import { misdirected } from './host-allowlist.ts';

/**
 * The sockets of the admin side (Bun.serve): the admin listener, the optional peer listener
 * and the optional plain-HTTP redirect listener. Every one checks the Host header first
 * (host-allowlist.ts), on every route, public ones included.
 */
export type ListenerHandler = (req: Request, client: string) => Response | Promise<Response>;

export interface ListenerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly tls?: AdminCertificate;
  readonly hostAllowed: HostCheck;
  /** Bun refuses larger bodies by itself; handlers apply the per-route limits below it. */
  readonly maxRequestBodySize: number;
  readonly handler: ListenerHandler;
}

/** Starts one listener. */
export function listen(opts: ListenerOptions): Server<undefined> {
  return Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    maxRequestBodySize: opts.maxRequestBodySize,
    idleTimeout: 30,
    ...(opts.tls ? { tls: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
    async fetch(req, srv) {
      if (!opts.hostAllowed(req.headers.get('host'))) return misdirected();
      const client = srv.requestIP(req)?.address ?? 'unknown';
      const res = await opts.handler(req, client);
      // A refused request that came with a body (too large, or refused before it was read, or
      // read only in part): close the connection rather than drain what the client still sends.
      if (res.status >= 400 && req.body !== null) return withHeader(res, 'Connection', 'close');
      return res;
    },
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

function withHeader(res: Response, name: string, value: string): Response {
  const headers = new Headers(res.headers);
  headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
