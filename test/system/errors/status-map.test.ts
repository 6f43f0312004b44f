import { describe, expect, test } from 'bun:test';
import { ApplianceError, STATUS_MAP, statusFor, type ErrorCode } from '../../../system/errors/index.ts';
import { errorResponse } from '../../../appliance/web/http.ts';
import { refusal } from '../../../appliance/dns/handler.ts';
import { answerError } from '../../../appliance/cli/control-client.ts';

/**
 * The one error map (issue 13 item 4): every code with its SIP status, DNS rcode and HTTP
 * status, written out so a change is deliberate; and the edges that read it (HTTP error reply,
 * DNS refusal, the CLI reading a reply back) give exactly the map's value for every code.
 */
const TABLE: Record<ErrorCode, [sip: number, rcode: number, http: number]> = {
  'config-invalid': [500, 2, 500],
  usage: [400, 1, 400],
  'invalid-input': [400, 1, 400],
  'weak-password': [400, 1, 400],
  'not-found': [404, 3, 404],
  conflict: [409, 5, 409],
  unauthenticated: [401, 5, 401],
  forbidden: [403, 5, 403],
  'method-not-allowed': [405, 4, 405],
  misdirected: [400, 5, 421],
  'malformed-message': [400, 1, 400],
  'version-not-supported': [505, 1, 505],
  'method-not-implemented': [501, 4, 501],
  'unsupported-uri-scheme': [416, 1, 400],
  'bad-extension': [420, 1, 400],
  'loop-detected': [482, 2, 508],
  'too-many-hops': [483, 2, 508],
  'interval-too-brief': [423, 1, 400],
  'not-acceptable': [406, 4, 406],
  'payload-too-large': [513, 1, 413],
  'rate-limited': [503, 5, 429],
  overloaded: [503, 2, 503],
  unavailable: [503, 2, 503],
  'store-failure': [500, 2, 500],
  internal: [500, 2, 500],
};
const CODES = Object.keys(TABLE) as ErrorCode[];

describe('the error map', () => {
  test('the table names every code of the map, and only those', () => {
    expect(CODES.sort()).toEqual((Object.keys(STATUS_MAP) as ErrorCode[]).sort());
  });

  test.each(CODES.map((c) => [c, ...TABLE[c]] as const))('%p → SIP %p, rcode %p, HTTP %p', (code, sip, rcode, http) => {
    expect(statusFor(code)).toEqual({ sip, dnsRcode: rcode, http });
    // Each is an error status of its protocol (RFC 3261 §21 4xx-6xx, RFC 1035 §4.1.1 1-5, RFC 9110 4xx-5xx).
    expect(sip).toBeGreaterThanOrEqual(400);
    expect(sip).toBeLessThan(700);
    expect(rcode).toBeGreaterThanOrEqual(1);
    expect(rcode).toBeLessThanOrEqual(5);
    expect(http).toBeGreaterThanOrEqual(400);
    expect(http).toBeLessThan(600);
  });

  test.each(CODES.map((c) => [c]))('%p: the HTTP error reply has the map\'s status and the common shape; the CLI reads the same code back', async (code) => {
    const res = errorResponse(new ApplianceError(code, 'what happened', { field: 'f' }));
    expect(res.status).toBe(TABLE[code][2]);
    const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
    expect(body.error.code).toBe(code);
    // Server errors keep their detail out of the reply; the rest say what and where.
    if (res.status >= 500) expect(body.error.field).toBeUndefined();
    else expect(body.error).toEqual({ code, message: 'what happened', field: 'f' });
    const back = answerError(res.status, body);
    expect(back.code).toBe(code);
  });

  test.each(CODES.map((c) => [c]))('%p: the DNS refusal has the map\'s rcode', (code) => {
    expect(refusal(code).rcode).toBe(TABLE[code][1]);
  });

  test('Retry-After comes from the error (429 for the login lock, 503 when overloaded); none without', () => {
    expect(errorResponse(new ApplianceError('rate-limited', 'slow down', { retryAfter: 30 })).headers.get('retry-after')).toBe('30');
    expect(errorResponse(new ApplianceError('overloaded', 'busy', { retryAfter: 5 })).headers.get('retry-after')).toBe('5');
    expect(errorResponse(new ApplianceError('overloaded', 'busy')).headers.get('retry-after')).toBeNull();
    expect(errorResponse(new ApplianceError('overloaded', 'busy', { retryAfter: 'soon' })).headers.get('retry-after')).toBeNull();
  });

  test('a reply without the common shape reads back as forbidden with the status; an unknown code too', () => {
    expect(answerError(502, {})).toMatchObject({ code: 'forbidden', message: 'the appliance answered 502' });
    expect(answerError(400, { error: { code: 'no-such-code', message: 'x' } })).toMatchObject({ code: 'forbidden', message: 'x' });
    expect(answerError(400, { error: 'a bare string' })).toMatchObject({ code: 'forbidden' });
  });
});
