import { describe, expect, test } from 'bun:test';
import { featureCode } from '../../../../appliance/sip/pbx/feature-code.ts';
import { parseFeatureCodesConfig } from '../../../../system/config/index.ts';

const codes = parseFeatureCodesConfig({});

describe('featureCode', () => {
  const cases: [string, ReturnType<typeof featureCode>][] = [
    ['*72204', { kind: 'forward-always', target: '204' }],
    ['%2A72204', { kind: 'forward-always', target: '204' }],
    ['*72+15551230100', { kind: 'forward-always', target: '+15551230100' }],
    ['*72', { kind: 'incomplete' }],
    ['*73', { kind: 'forward-always-off' }],
    ['*78', { kind: 'dnd', on: true }],
    ['*79', { kind: 'dnd', on: false }],
    ['204', undefined],
    ['*72abc', undefined],
    ['*72' + '1'.repeat(21), undefined],
    ['*7', undefined],
    ['*730', undefined],
    ['**202', undefined],
  ];
  for (const [dialled, want] of cases) test(`${dialled} → ${JSON.stringify(want)}`, () => expect(featureCode(dialled, codes)).toEqual(want));

  test('codes from the config', () => {
    const own = parseFeatureCodesConfig({ forward_always_on: '#21', forward_always_off: '#22', dnd_on: '#30', dnd_off: '#31' });
    expect(featureCode('#21204', own)).toEqual({ kind: 'forward-always', target: '204' });
    expect(featureCode('%2321204', own)).toEqual({ kind: 'forward-always', target: '204' });
    expect(featureCode('*78', own)).toBeUndefined();
  });
});
