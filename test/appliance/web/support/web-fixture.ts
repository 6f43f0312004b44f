import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type ApplianceConfig } from '../../../../system/config/index.ts';
import { openStore, type Store } from '../../../../system/store/index.ts';
import { startWebServer, type RunningWebServer, type WebServerOptions } from '../../../../appliance/web/server.ts';
import { StoreView } from './store-view.ts';

/**
 * A web server on 127.0.0.1:0 (or `listen`) over a real store in a temp directory and a
 * StoreView, over HTTPS with the certificate it generates (pinned by `fetch` and ApiClient).
 */
export interface WebFixture {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly view: StoreView;
  readonly web: RunningWebServer;
  readonly lines: string[];
  /** fetch that trusts exactly this server's certificate. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface WebFixtureOptions extends Partial<Pick<WebServerOptions, 'auth' | 'extraRoutes' | 'peerRoutes'>> {
  readonly config?: ApplianceConfig;
  /** Listen address (default 127.0.0.1). */
  readonly listen?: string;
  /** More `[web]` keys, as TOML lines. */
  readonly webToml?: string;
  /** An existing data directory (kept at stop), e.g. to start twice on one certificate. */
  readonly dataDir?: string;
}

export async function startWebFixture(opts: WebFixtureOptions = {}): Promise<WebFixture> {
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'web-test-'));
  const config = opts.config ?? parseConfig(`data_dir = "${dir}"
[sip]
listen = "127.0.0.1"
port = 5060
domain = "office.lan"
[web]
listen = "${opts.listen ?? '127.0.0.1'}"
port = 0
${opts.webToml ?? ''}
`, 'test');
  const store = openStore(config.dataDir);
  const view = new StoreView(store, config);
  const lines: string[] = [];
  const web = await startWebServer({
    config, store, view, print: (l) => lines.push(l), auth: opts.auth, extraRoutes: opts.extraRoutes, peerRoutes: opts.peerRoutes,
  });
  const ca = web.certificate?.cert;
  return {
    config, store, view, web, lines,
    fetch: (url, init = {}) => fetch(url, { ...init, ...(ca ? { tls: { ca } } : {}) } as RequestInit),
    async stop() {
      await web.stop();
      store.close();
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tiny cookie-keeping API client, as a same-origin browser would behave. */
export class ApiClient {
  cookie = '';
  csrf = '';
  /** `ca`: the server's certificate to trust (HTTPS). */
  constructor(readonly base: string, private readonly ca?: string) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    if (this.csrf && method !== 'GET' && !('X-CSRF-Token' in headers)) h['X-CSRF-Token'] = this.csrf;
    if (body !== undefined && !(body instanceof Uint8Array)) h['Content-Type'] = 'application/json';
    const res = await fetch(this.base + path, {
      ...(this.ca ? { tls: { ca: this.ca } } : {}),
      method, headers: h, body: body === undefined ? undefined : body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    return res;
  }

  /** Calls and parses JSON; keeps a CSRF token when the reply carries one. */
  async json(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await this.call(method, path, body);
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (parsed && typeof parsed.csrfToken === 'string') this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed };
  }
}
