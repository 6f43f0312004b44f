import { inCidrList, type Cidr } from '../../system/config/index.ts';
import { statusFor, type ErrorCode } from '../../system/errors/index.ts';
import type { RouteHandler } from '../web/server.ts';
import { applianceMetrics, type MetricsInput } from './appliance-metrics.ts';
import { exposition, EXPOSITION_CONTENT_TYPE } from './exposition.ts';

/**
 * `GET /metrics` for Prometheus (text format 0.0.4). Mounted before the admin session check (a
 * scraper has no session): only sources in `[metrics] allow` are served, anyone else gets 403
 * before anything is gathered. GET and HEAD only.
 */
export function metricsRoute(allow: readonly Cidr[], gather: () => MetricsInput): RouteHandler {
  return (req, client) => {
    if (!inCidrList(client, allow)) return text('forbidden', `${client} may not scrape the metrics ([metrics] allow)\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text('method-not-allowed', 'use GET\n', { Allow: 'GET, HEAD' });
    const body = exposition(applianceMetrics(gather()));
    return new Response(req.method === 'HEAD' ? null : body, { headers: { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Cache-Control': 'no-store' } });
  };
}

/** A refusal as plain text for a scraper, its status from the one map (system/errors). */
function text(code: ErrorCode, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status: statusFor(code).http, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers } });
}
