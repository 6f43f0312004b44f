/** Types for the parts of the `sip` package (kirm/sip.js 0.0.6) that the appliance uses. */
declare module 'sip' {
  export interface Uri {
    schema?: string;
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params: Record<string, string | null>;
    headers: Record<string, string>;
  }
  export interface Aor { name?: string; uri: string | Uri; params: Record<string, string | null> }
  export interface Via { version?: string; protocol: string; host: string; port?: number; params: Record<string, string | null> }
  export interface Message {
    method?: string;
    uri?: string | Uri;
    status?: number;
    reason?: string;
    version?: string;
    headers: Record<string, any>;
    content?: string;
  }
  export function parse(data: string | Buffer): Message | undefined;
  /** Parses a name-addr / addr-spec with parameters (To, From, Contact values); throws on garbage. */
  export function parseAOR(data: { s: string; i: number }): Aor & { uri: string };
  export function stringify(m: Message): string;
  export function parseUri(s: string | Uri): Uri | undefined;
  export function stringifyUri(u: string | Uri): string;
  export function stringifyAuthHeader(a: Record<string, string | undefined>): string;
  export function makeResponse(rq: Message, status: number, reason?: string, ext?: { headers?: Record<string, unknown>; content?: string }): Message;
}
