/** The UI's only way to the appliance: the JSON API (docs/API.md), with the CSRF token. */

let csrfToken = '';

export function setCsrf(token: string | undefined): void {
  csrfToken = token ?? '';
}

/** An API error with the server's message and the field it concerns. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code = '', readonly field?: string, readonly body: Record<string, unknown> = {}) {
    super(message);
  }
}

/** Called when the session is gone (401): the app shows the login page. */
let onUnauthenticated = () => {};
export function whenUnauthenticated(f: () => void): void {
  onUnauthenticated = f;
}

/** Sends a request with the CSRF token; throws ApiError on a non-2xx reply. */
async function send(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] ??= 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (!res.ok) {
    const text = await res.text();
    let err: { message?: string; code?: string; field?: string } & Record<string, unknown> = {};
    try {
      err = (text ? JSON.parse(text) : null)?.error ?? {};
    } catch {
      // not a JSON error body: the status text says enough
    }
    if (res.status === 401 && !path.startsWith('/api/login') && !path.startsWith('/api/setup')) onUnauthenticated();
    throw new ApiError(res.status, err.message ?? res.statusText, err.code, err.field, err);
  }
  return res;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await send(method, path, body, headers);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (data && typeof data.csrfToken === 'string') setCsrf(data.csrfToken);
  return data as T;
}

/** A file the API sends back (a backup): its bytes and the name from Content-Disposition. */
export async function apiDownload(method: string, path: string, body?: unknown): Promise<{ blob: Blob; fileName: string }> {
  const res = await send(method, path, body);
  const fileName = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'download';
  return { blob: await res.blob(), fileName };
}
