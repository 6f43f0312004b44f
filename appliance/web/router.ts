import type { Session } from './auth/sessions.ts';

/** What a route handler gets: the request, its URL, path parameters, the session, the client. */
export interface ApiRequest {
  readonly req: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** Set on every route that is not public. */
  readonly session?: Session;
  /** Client address (for login rate limiting). */
  readonly client: string;
}

export type ApiHandler = (ctx: ApiRequest) => Response | Promise<Response>;

/** One API route. `public` routes skip the session check (setup, login, session probe). */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `:name` parameters, e.g. `/api/extensions/:number`. */
  readonly path: string;
  readonly handler: ApiHandler;
  readonly public?: boolean;
}

interface Compiled extends Route { readonly re: RegExp; readonly names: string[] }

/** Matches method + path against a route table built once (STYLE.md §9). */
export class Router {
  private readonly routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((r) => {
      const names: string[] = [];
      const re = new RegExp(`^${r.path.replace(/:([a-zA-Z]+)/g, (_, n: string) => (names.push(n), '([^/]+)'))}$`);
      return { ...r, re, names };
    });
  }

  /** The route and its decoded parameters; `methods` lists the allowed methods when only the path matched. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { methods: string[] } | undefined {
    const methods: string[] = [];
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) {
        methods.push(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      return { route: r, params };
    }
    return methods.length ? { methods } : undefined;
  }
}
