/** The UI's only way to the appliance: the JSON API (docs/API.md), with the CSRF token. */

let csrfToken = '';

export function setCsrf(token: string | undefined): void {
  csrfToken = token ?? '';
}

/** An API error with the server's message and the field it concerns. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code = '', readonly field?: string) {
    super(message);
  }
}

/** Called when the session is gone (401): the app shows the login page. */
let onUnauthenticated = () => {};
export function whenUnauthenticated(f: () => void): void {
  onUnauthenticated = f;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = data?.error ?? {};
    if (res.status === 401 && !path.startsWith('/api/login') && !path.startsWith('/api/setup')) onUnauthenticated();
    throw new ApiError(res.status, err.message ?? res.statusText, err.code, err.field);
  }
  if (data && typeof data.csrfToken === 'string') setCsrf(data.csrfToken);
  return data as T;
}
