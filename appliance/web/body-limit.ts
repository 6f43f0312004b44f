import { ApplianceError } from '../../system/errors/index.ts';

/**
 * Request body limits, checked before a body is read. Bun calls the handler as soon as the
 * headers are in, so a declared Content-Length above the limit is refused with 413 before one
 * body byte is buffered (RFC 9110 §15.5.14), and the connection is closed rather than drained.
 * A chunked body (no Content-Length) is counted while it streams and cut at the limit.
 *
 * The limit depends on who asks: 64 KiB for anything before the admin session check (login,
 * setup, the peer API, the command channel); a route's own larger limit (the restore upload)
 * only once the session and CSRF token have been checked.
 */
export const MAX_UNAUTHENTICATED_BODY_BYTES = 64 * 1024;

/** The body is (or would be) larger than the route accepts. */
export class BodyTooLargeError extends ApplianceError {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super('payload-too-large', `request body larger than ${limit} bytes`, { limit });
  }
}

/** Throws BodyTooLargeError when the declared Content-Length is above `limit`. */
export function checkDeclaredLength(req: Request, limit: number): void {
  const text = req.headers.get('content-length');
  if (text === null) return;
  const n = Number(text);
  if (!/^\d{1,15}$/.test(text.trim()) || n > limit) throw new BodyTooLargeError(limit);
}

/**
 * The request with its body capped at `limit` bytes: the declared length is checked now, and
 * a streamed body errors with BodyTooLargeError once it passes the limit, so whatever reads it
 * (`req.text()`, `req.arrayBuffer()`) fails instead of buffering on.
 */
export function capBody(req: Request, limit: number): Request {
  checkDeclaredLength(req, limit);
  if (req.body === null || req.headers.get('content-length') !== null) return req;
  let seen = 0;
  const counted = req.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, out) {
      seen += chunk.byteLength;
      if (seen > limit) throw new BodyTooLargeError(limit);
      out.enqueue(chunk);
    },
  }));
  return new Request(req.url, { method: req.method, headers: req.headers, body: counted, signal: req.signal, duplex: 'half' } as RequestInit);
}
