import type { CallClass } from './types.ts';

/**
 * The call classes as the admin sees them, cheapest first (docs/TRUNKS.md): a label for each of
 * the dial plan's classes (system/config/trunk-config.ts CALL_CLASSES; the Record fails the
 * type check when a class is added there or renamed; test/web-ui/call-classes.test.ts checks the
 * order). Every form that offers a class takes it from here.
 */
export const CALL_CLASS_LABELS: Readonly<Record<CallClass, string>> = {
  internal: 'Internal only',
  local: 'Local',
  national: 'National (default)',
  international: 'International',
  premium: 'Premium-rate',
};

/** The classes, cheapest first. */
export const CALL_CLASS_ORDER = Object.keys(CALL_CLASS_LABELS) as CallClass[];
