import { ValidationError } from '../../system/errors/index.ts';
import { EXTENSION_CALL_CLASSES, type ExtensionCallClass, type ExtensionRecord } from '../../system/store/index.ts';

/** An extension's outside-call permissions as an admin gives them (CLI, API, backup); each optional. */
export interface PermissionInput {
  /** internal | local | national | international | premium: the dearest class it may call. */
  readonly callClass?: string;
  /** Outside calls at once (0 = none). */
  readonly maxOutsideCalls?: number;
  /** Outside calls started per hour (0 = none). */
  readonly outsideCallsPerHour?: number;
  /** Its number towards the provider (+E.164 or a SIP user), or null for the trunk's. */
  readonly outboundCallerId?: string | null;
}

export type PermissionPatch = Partial<Pick<ExtensionRecord, 'callClass' | 'maxOutsideCalls' | 'outsideCallsPerHour' | 'outboundCallerId'>>;

const CALLER_ID = /^(\+?[0-9]{1,15}|[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,64})$/;

function count(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) throw new ValidationError(`${field} must be a whole number from 0 to 1000`, field);
  return v;
}

/**
 * Validates outside-call permissions (issue 14 toll-fraud policy): the fields given, checked,
 * as a patch for the store. Emergency calls are never subject to them.
 */
export function checkPermissions(input: PermissionInput): PermissionPatch {
  const out: { -readonly [K in keyof PermissionPatch]: PermissionPatch[K] } = {};
  if (input.callClass !== undefined) {
    if (!(EXTENSION_CALL_CLASSES as readonly string[]).includes(input.callClass)) {
      throw new ValidationError(`call class must be one of ${EXTENSION_CALL_CLASSES.join(', ')}`, 'callClass');
    }
    out.callClass = input.callClass as ExtensionCallClass;
  }
  if (input.maxOutsideCalls !== undefined) out.maxOutsideCalls = count(input.maxOutsideCalls, 'maxOutsideCalls');
  if (input.outsideCallsPerHour !== undefined) out.outsideCallsPerHour = count(input.outsideCallsPerHour, 'outsideCallsPerHour');
  if (input.outboundCallerId !== undefined) {
    if (input.outboundCallerId !== null && input.outboundCallerId !== '' && !CALLER_ID.test(input.outboundCallerId)) {
      throw new ValidationError('outbound caller ID must be a number (+E.164) or a SIP user name', 'outboundCallerId');
    }
    out.outboundCallerId = input.outboundCallerId || null;
  }
  return out;
}
