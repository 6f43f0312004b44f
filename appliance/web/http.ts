import { ApplianceError, asApplianceError, retryAfterOf, statusFor, ValidationError } from '../../system/errors/index.ts';

/**
 * HTTP plumbing of the admin API: JSON replies, the one place that turns an error into an
 * HTTP status (through system/errors' STATUS_MAP), and strict JSON body reading.
 */

/** Headers every API reply carries: never cached, never sniffed, never framed. */
const API_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

/** A JSON reply. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...API_HEADERS, ...headers },
  });
}

/** An empty reply (204 No Content by default). */
export function noContent(status = 204, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { ...API_HEADERS, ...headers } });
}

/** Too many failed logins from one client: 429 with Retry-After (RFC 6585 §4). */
export class LoginLockedError extends ApplianceError {
  override readonly name = 'LoginLockedError';
  constructor(readonly retryAfterSeconds: number) {
    super('rate-limited', `too many failed logins: try again in ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
  }
}

/**
 * The error reply of every HTTP edge (admin API, peer API, command channel):
 * `{ error: { code, message, field? } }` with the HTTP status of the error code (system/errors'
 * STATUS_MAP) and Retry-After when the error says how long to wait (RFC 9110 §10.2.3: 429,
 * 503). Internal errors keep their detail out of the reply (it goes to the console instead).
 * `extra` adds fields to the error object (an import's rejected rows).
 */
export function errorResponse(err: unknown, log: (line: string) => void = () => {}, extra: Record<string, unknown> = {}): Response {
  const e = asApplianceError(err);
  const status = statusFor(e.code).http;
  const retryAfter = retryAfterOf(e.details);
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  if (status >= 500) {
    log(`web: ${e.code}: ${e.message}`);
    return json({ error: { code: e.code, message: e.code === 'internal' ? 'internal error' : e.message } }, status, headers);
  }
  const field = typeof e.details.field === 'string' ? e.details.field : undefined;
  return json({ error: { code: e.code, message: e.message, ...(field ? { field } : {}), ...extra } }, status, headers);
}

/** Largest JSON body the API accepts (a restore upload is not JSON and has its own limit). */
const MAX_JSON_BYTES = 64 * 1024;

/** Reads a JSON object body; `invalid-input` when it is not `application/json` or not an object. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const type = req.headers.get('content-type') ?? '';
  // Requiring application/json also keeps plain HTML forms (a CSRF vector) out.
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new ValidationError('send the body as application/json');
  const text = await req.text();
  if (text.length > MAX_JSON_BYTES) throw new ValidationError('request body too large');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError('request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Field readers for a JSON body: each names the field in its error, unknown fields are refused. */
export class Fields {
  constructor(private readonly body: Record<string, unknown>, allowed: readonly string[]) {
    for (const k of Object.keys(body)) if (!allowed.includes(k)) throw new ValidationError(`unknown field "${k}"`, k);
  }

  string(name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) throw new ValidationError(`${name} is required`, name);
      return undefined;
    }
    if (typeof v !== 'string') throw new ValidationError(`${name} must be a string`, name);
    if (v.length > (opts.max ?? 1024)) throw new ValidationError(`${name} is too long`, name);
    return v;
  }

  /** A string that may be explicitly null (to clear a value). */
  nullableString(name: string): string | null | undefined {
    if (this.body[name] === null) return null;
    return this.string(name);
  }

  int(name: string, opts: { min?: number; max?: number } = {}): number | null | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValidationError(`${name} must be a whole number`, name);
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      throw new ValidationError(`${name} must be between ${opts.min} and ${opts.max}`, name);
    }
    return v;
  }
}

/** A query parameter as a bounded whole number. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new ValidationError(`${name} must be a whole number`, name);
  return Math.min(max, Math.max(min, Number(text)));
}
