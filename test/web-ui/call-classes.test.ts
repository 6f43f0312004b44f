import { describe, expect, test } from 'bun:test';
import { CALL_CLASS_LABELS, CALL_CLASS_ORDER } from '../../web-ui/call-classes.ts';
import { CALL_CLASSES } from '../../system/config/trunk-config.ts';
import { EXTENSION_CALL_CLASSES } from '../../system/store/index.ts';
import { classPermits } from '../../appliance/trunks/dial-plan.ts';

/**
 * The call classes have one list, CALL_CLASSES (issue 13 item 7): it was written out in the
 * config's type and its check, the store, the dial plan's order and three forms of the UI.
 * The UI cannot import the value (web-ui takes only types from the server), so its labels are a
 * Record over the type, and this checks the order.
 */
describe('call classes', () => {
  test('the store, the dial plan and the UI take the config\'s list, cheapest first', () => {
    expect(EXTENSION_CALL_CLASSES).toEqual(CALL_CLASSES);
    expect(CALL_CLASS_ORDER).toEqual([...CALL_CLASSES]);
    expect(Object.values(CALL_CLASS_LABELS).every((l) => l.length > 0)).toBe(true);
  });

  // Each class permits itself and every cheaper one, in the list's order.
  test.each(CALL_CLASSES.map((c, i) => [c, i]))('%p permits the %p classes before it and itself', (allowed, i) => {
    expect(CALL_CLASSES.filter((c) => classPermits(allowed, c))).toEqual(CALL_CLASSES.slice(0, i + 1));
    expect(classPermits(allowed, 'emergency')).toBe(true);
  });
});
