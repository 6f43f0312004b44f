import { describe, expect, test } from 'bun:test';
import { voicemailUriRefusal } from '../../../appliance/admin/voicemail-uri-check.ts';
import { parseVoicemailConfig } from '../../../system/config/index.ts';

/**
 * The office's voicemail URI (`[voicemail] uri`) and an extension's own are checked against one
 * shape, VOICEMAIL_URI_PATTERN (issue 13: the two regexes had drifted; `before` says where the
 * config's accepted what the extension check refused). No headers: the URI becomes a
 * Request-URI (RFC 3261 §19.1.5).
 */
const CONTEXT = { domain: 'office.lan', ownAddresses: ['127.0.213.1'], ownPorts: [5060], providerHosts: [] };
const CASES: [uri: string, ok: boolean, before?: string][] = [
  ['sip:vm@192.0.2.5:5070', true],
  ['sips:vm@vm.example', true],
  ['sip:vm.example', true],
  ['sip:vm@192.0.2.5;transport=tcp', true],
  ['sip:vm@[2001:db8::5]:5070', true],
  ['sip:vm@192.0.2.5?subject=x', false],
  ['sip:vm@192.0.2.5;x=1?subject=x', false, 'config: accepted'],
  ['sip:v?m@192.0.2.5', false, 'config: accepted'],
  ['sip:vm@host with space', false],
  ['tel:+4930123', false],
  ['<sip:vm@192.0.2.5>', false],
  ['sip:', false],
];

describe('one voicemail URI shape', () => {
  test.each(CASES)('%p: accepted %p by the config and the extension check alike', (uri, ok) => {
    const configOk = (() => {
      try {
        return parseVoicemailConfig({ uri }).uri === uri;
      } catch {
        return false;
      }
    })();
    expect(configOk).toBe(ok);
    expect(voicemailUriRefusal(uri, CONTEXT) === undefined).toBe(ok);
  });
});
