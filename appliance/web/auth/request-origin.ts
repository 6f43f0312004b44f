/**
 * Cross-site request checks (OWASP CSRF cheat sheet: "verifying origin with standard headers"
 * and "Fetch Metadata"). They come before the CSRF token, and also guard login and setup,
 * which have no session yet.
 */

/** True when the browser says the request comes from another site or origin. */
export function isCrossOrigin(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.get('origin');
  if (origin === null) return false; // not a browser, or a same-origin GET: the token decides
  if (origin === 'null') return true;
  return origin !== ownOrigin(req);
}

/** The origin the browser used to reach us (scheme + Host header). */
export function ownOrigin(req: Request): string {
  const url = new URL(req.url);
  const host = req.headers.get('host') ?? url.host;
  return `${url.protocol}//${host}`;
}

/** Methods that change state and so need a CSRF token (RFC 9110 §9.2.1 safe methods excepted). */
export function isStateChanging(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}
