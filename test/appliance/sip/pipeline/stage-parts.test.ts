import { describe, expect, test } from 'bun:test';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import { buildResponse, encodeMessage } from '../../../../appliance/sip/message/encode.ts';
import { localToTag } from '../../../../appliance/sip/message/local-tag.ts';
import type { SipRequest, Source } from '../../../../appliance/sip/message/types.ts';
import { isLocalHost, isUs, type OurAddresses } from '../../../../appliance/sip/our-addresses.ts';
import type { RequestContext, RequestState } from '../../../../appliance/sip/pipeline/context.ts';
import { REQUEST_PIPELINE, runPipeline } from '../../../../appliance/sip/pipeline/pipeline.ts';
import type { LocalAddresses, Replies } from '../../../../appliance/sip/pipeline/services.ts';
import { local } from '../../../../appliance/sip/pipeline/stages/local.ts';
import { maxForwardsAndLoop } from '../../../../appliance/sip/pipeline/stages/max-forwards-loop.ts';
import { sanity } from '../../../../appliance/sip/pipeline/stages/sanity.ts';

/**
 * The stages depend on small parts of the SIP side (pipeline/services.ts, issue 13), not on one
 * bag: a stage runs with just the parts its type names. Here three stages get only replies and
 * our addresses, built from the real encoder, To-tag and address functions, and answer real
 * messages as on the wire; the pipeline keeps its ordered list of named stages.
 */
const OURS: OurAddresses = {
  localHosts: new Set(['office.lan', '127.0.201.1']), advertise: '127.0.201.1', port: 5060, viaPort: 5070,
  workerViaPorts: { base: 0, count: 0 },
};

/** Replies and our addresses, and nothing else: what sanity, max-forwards-loop and local use. */
function parts(): Replies & LocalAddresses & { readonly sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    reply(ctx: RequestState, status: number, reason?: string, headers?: Record<string, unknown>) {
      sent.push(encodeMessage(buildResponse(ctx.req, status, reason, headers, localToTag(ctx.req))).toString());
    },
    toTag: localToTag,
    isUs: (host, port) => isUs(OURS, host, port),
    isLocalHost: (host) => isLocalHost(OURS, host),
  };
}

const PHONE: Source = { transport: 'udp', address: '127.0.201.10', port: 5062, localPort: 5060 };

function request(line: string, extra: string[] = []): SipRequest {
  const text = [
    line, 'Via: SIP/2.0/UDP 127.0.201.10:5062;branch=z9hG4bK-parts-1;rport', 'From: <sip:201@office.lan>;tag=a1',
    'To: <sip:office.lan>', 'Call-ID: parts-1@127.0.201.10', `CSeq: 1 ${line.split(' ')[0]}`, ...extra, 'Content-Length: 0', '', '',
  ].join('\r\n');
  const d = decodeMessage(text);
  if (d.kind !== 'request') throw new Error(`fixture did not decode: ${d.kind}`);
  return d.msg;
}

/** Runs sanity, max-forwards-loop and local with only those parts, as the SIP service runs the whole list. */
function run(services: Replies & LocalAddresses, req: SipRequest): RequestContext<Replies & LocalAddresses> {
  const ctx: RequestContext<Replies & LocalAddresses> = { req, source: PHONE, services, trusted: false };
  runPipeline(ctx, [sanity, maxForwardsAndLoop, local, { name: 'rest', run: () => 'handled' }]);
  return ctx;
}

const CASES: [what: string, line: string, extra: string[], status: number | undefined, header: RegExp | undefined][] = [
  ['OPTIONS to us: 200 with Allow', 'OPTIONS sip:office.lan SIP/2.0', ['Max-Forwards: 70'], 200, /^Allow: INVITE, ACK/m],
  ['OPTIONS to us with Max-Forwards 0: still ours, 200', 'OPTIONS sip:office.lan SIP/2.0', ['Max-Forwards: 0'], 200, undefined],
  ['INFO to us: 405 with Allow (the error map\'s method-not-allowed)', 'INFO sip:office.lan SIP/2.0', ['Max-Forwards: 70'], 405, /^Allow: /m],
  ['PUBLISH to us: 501 (method-not-implemented)', 'PUBLISH sip:office.lan SIP/2.0', ['Max-Forwards: 70'], 501, undefined],
  ['INVITE elsewhere with Max-Forwards 0: 483 (too-many-hops)', 'INVITE sip:202@elsewhere.example SIP/2.0', ['Max-Forwards: 0'], 483, undefined],
  ['Proxy-Require we do not support: 420 with Unsupported', 'INVITE sip:202@office.lan SIP/2.0', ['Max-Forwards: 70', 'Proxy-Require: foo'], 420, /^Unsupported: foo/m],
  ['INVITE for a user: none of the three is its owner, it goes on', 'INVITE sip:202@office.lan SIP/2.0', ['Max-Forwards: 70'], undefined, undefined],
];

describe('stages on their own parts', () => {
  test.each(CASES)('%s', (_what, line, extra, status, header) => {
    const services = parts();
    const ctx = run(services, request(line, extra));
    if (status === undefined) {
      expect(services.sent).toEqual([]);
      expect(ctx.ruri?.user).toBe('202');
      return;
    }
    expect(services.sent).toHaveLength(1);
    expect(services.sent[0]).toStartWith(`SIP/2.0 ${status} `);
    if (header) expect(services.sent[0]).toMatch(header);
  });

  test('the pipeline is one ordered list of named stages', () => {
    expect(REQUEST_PIPELINE.map((s) => s.name)).toEqual([
      'sanity', 'max-forwards-loop', 'overload', 'transaction', 'in-dialog', 'flow-token', 'local', 'hand-off', 'trunk-inbound',
      'auth', 'registrar', 'subscribe', 'pickup', 'feature-codes', 'voicemail-mwi', 'trunk-outbound', 'location', 'relay',
    ]);
  });

  test('a request no stage handles is answered 500 (internal), not dropped', () => {
    const services = parts();
    const ctx: RequestContext<Replies & LocalAddresses> = { req: request('INVITE sip:202@office.lan SIP/2.0', ['Max-Forwards: 70']), source: PHONE, services, trusted: false };
    runPipeline(ctx, [sanity, maxForwardsAndLoop, local]);
    expect(services.sent).toHaveLength(1);
    expect(services.sent[0]).toStartWith('SIP/2.0 500 ');
  });
});
