import { describe, expect, test } from 'bun:test';
import { composeServices, type ServiceParts } from '../../../../appliance/sip/pipeline/services.ts';
import { TransactionLayer, transactionsPart } from '../../../../appliance/sip/transaction/transaction-layer.ts';
import { addressesPart, type OurAddresses } from '../../../../appliance/sip/our-addresses.ts';
import type { SipRequest, Source } from '../../../../appliance/sip/message/types.ts';
import type { SipTransport } from '../../../../appliance/sip/transport/transport.ts';

/**
 * The services the pipeline runs with are the units' parts side by side (pipeline/services.ts,
 * issue 13): a getter of a part stays live, the late parts start absent and are set later, and
 * two parts naming one member are refused at start.
 */
const OURS: OurAddresses = { localHosts: new Set(['office.lan']), advertise: '127.0.202.1', port: 5060, viaPort: 5070, workerViaPorts: { base: 0, count: 0 } };
const PHONE: Source = { transport: 'udp', address: '127.0.202.10', port: 5062, localPort: 5060 };
const idle: SipTransport = { send: () => true, hasConnection: () => false, close: async () => {} };

function partsWith(layer: TransactionLayer): ServiceParts {
  const none = (): never => {
    throw new Error('not used here');
  };
  return {
    configuration: { settings: {} as never }, replies: { reply: none, toTag: () => 'tag' }, transactions: transactionsPart(layer),
    relay: { relay: none, relayStateless: none }, targets: { resolveUri: none }, location: { locate: none }, registrations: { location: {} as never },
    addresses: addressesPart(OURS), extensions: { extension: () => undefined }, authentication: { auth: {} as never }, abuse: { guard: { failed: none } },
    dialogs: { dialogTokens: {} as never }, flows: { flows: { read: none, alive: () => false, issue: none } }, admission: { admission: {} as never },
    eventLog: { log: () => {} },
  };
}

const invite = (branch: string): SipRequest => ({
  method: 'INVITE', uri: 'sip:201@office.lan', version: '2.0',
  headers: { via: [{ version: '2.0', protocol: 'UDP', host: '127.0.202.10', port: 5062, params: { branch } }], to: { uri: 'sip:201@office.lan', params: {} }, from: { uri: 'sip:202@office.lan', params: { tag: 'a' } }, 'call-id': branch, cseq: { seq: 1, method: 'INVITE' } },
} as unknown as SipRequest);

describe('composeServices', () => {
  test('a part\'s getter stays live: openTransactions counts what the layer opens after composing', () => {
    const layer = new TransactionLayer();
    layer.attach(idle);
    const services = composeServices(partsWith(layer));
    expect(services.openTransactions).toBe(0);
    const req = invite('z9hG4bK-compose-1');
    const st = services.createServer({ req, source: PHONE, txKey: 'k1', trusted: false });
    expect(services.openTransactions).toBe(1);
    expect(services.findServer('k1')).toBe(st);
    layer.close();
    expect(services.openTransactions).toBe(0);
  });

  test('members of every part, unbound (a stage may pass isUs on), and the late parts absent until set', () => {
    const services = composeServices(partsWith(new TransactionLayer()));
    const { isUs, isLocalHost } = services;
    expect(isUs('office.lan', 5070)).toBe(true);
    expect(isUs('office.lan', 5999)).toBe(false);
    expect(isLocalHost('OFFICE.lan')).toBe(true);
    expect(services.toTag({} as SipRequest)).toBe('tag');
    expect(['trunks', 'voicemail', 'featureCodes', 'events'].map((k) => k in services && services[k as 'trunks'] === undefined)).toEqual([true, true, true, true]);
    services.trunks = {} as never;
    expect(services.trunks).toBeDefined();
  });

  test('two parts naming one member are refused', () => {
    const parts = partsWith(new TransactionLayer());
    expect(() => composeServices({ ...parts, eventLog: { log: () => {}, isUs: () => true } as never })).toThrow('two parts of the SIP service name isUs');
    expect(() => composeServices({ ...parts, location: { locate: () => ({ kind: 'reply', status: 404 }), trunks: undefined } as never })).toThrow('name trunks');
  });
});
