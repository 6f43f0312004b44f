import type { Message, Via } from 'sip';

/** A parsed SIP request (RFC 3261 §7.1) in the `sip` package's message shape. */
export interface SipRequest extends Message {
  method: string;
  uri: string;
  headers: SipHeaders;
}

/** A parsed SIP response (RFC 3261 §7.2). */
export interface SipResponse extends Message {
  status: number;
  reason: string;
  headers: SipHeaders;
  /** The bytes it was decoded from (responses only parse what the proxy reads). */
  wire?: Buffer;
  /** Ready bytes to send instead of serialising (a forwarded response, see response-wire.ts). */
  preEncoded?: Buffer;
}

/** The headers the appliance reads, as the `sip` package parses them; others are strings. */
export interface SipHeaders {
  via: Via[];
  to: { name?: string; uri: string; params: Record<string, string | null> };
  from: { name?: string; uri: string; params: Record<string, string | null> };
  'call-id': string;
  cseq: { seq: number; method: string };
  contact?: '*' | { name?: string; uri: string; params: Record<string, string | null> }[];
  route?: { name?: string; uri: unknown; params: Record<string, string | null> }[];
  'record-route'?: { name?: string; uri: unknown; params: Record<string, string | null> }[];
  'max-forwards'?: string | number;
  [name: string]: any;
}

/** Where a message came from, and which transport connection can answer it. */
export interface Source {
  /** udp, tcp, or tls (SIP over TLS, RFC 3261 §26). */
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly address: string;
  readonly port: number;
  /** Local port the message arrived on (the shared port or this worker's own port). */
  readonly localPort: number;
  /** For TCP/TLS: the connection key (TLS: `tls:addr:port`), so responses and calls can reuse it. */
  readonly connection?: string;
  /** Handed over by a sibling worker that was saturated (pipeline/flow-spreader.ts): never spread again. */
  readonly handed?: boolean;
}

/** The outcome of decoding one message (RFC 3261 §7, RFC 4475 for the tricky cases). */
export type Decoded =
  | { readonly kind: 'request'; readonly msg: SipRequest }
  | { readonly kind: 'response'; readonly msg: SipResponse }
  /** A request we must answer with an error; `msg` has enough headers to build the reply. */
  | { readonly kind: 'bad-request'; readonly status: number; readonly reason: string; readonly msg: SipRequest; readonly extraHeaders?: Record<string, string> }
  /** Nothing to answer: a broken response, a request too broken to reply to, or keep-alive. */
  | { readonly kind: 'drop'; readonly reason: string };
