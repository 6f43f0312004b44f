/**
 * The one error family of the appliance. Every failure that crosses a layer is an
 * `ApplianceError` with a code from {@link ErrorCode}; `status-map.ts` turns the code
 * into a SIP status, a DNS rcode or an HTTP status in one place (STYLE.md §8).
 */

/** Every error code the appliance raises. */
export type ErrorCode =
  | 'config-invalid'
  | 'usage'
  | 'invalid-input'
  | 'weak-password'
  | 'not-found'
  | 'conflict'
  | 'unauthenticated'
  | 'forbidden'
  | 'method-not-allowed'
  | 'misdirected'
  | 'malformed-message'
  | 'version-not-supported'
  | 'method-not-implemented'
  | 'unsupported-uri-scheme'
  | 'bad-extension'
  | 'loop-detected'
  | 'too-many-hops'
  | 'interval-too-brief'
  | 'not-acceptable'
  | 'payload-too-large'
  | 'rate-limited'
  | 'overloaded'
  | 'unavailable'
  | 'store-failure'
  | 'internal';

/** Base class: a code, a message fit to show an admin or put in a reason phrase, optional details. */
export class ApplianceError extends Error {
  override readonly name: string = 'ApplianceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Configuration that cannot be used; `key` names the offending TOML key. */
export class ConfigError extends ApplianceError {
  override readonly name = 'ConfigError';
  constructor(readonly key: string, message: string) {
    super('config-invalid', `config: ${key}: ${message}`, { key });
  }
}

/** Input from an admin (CLI, API) that fails validation. */
export class ValidationError extends ApplianceError {
  override readonly name = 'ValidationError';
  constructor(message: string, readonly field?: string, code: ErrorCode = 'invalid-input') {
    super(code, message, field ? { field } : {});
  }
}

/** A SIP message that cannot be processed; `code` decides the reply (RFC 3261 §21). */
export class SipMessageError extends ApplianceError {
  override readonly name = 'SipMessageError';
}

/** Wraps anything thrown into an ApplianceError, keeping ApplianceErrors as they are. */
export function asApplianceError(err: unknown): ApplianceError {
  if (err instanceof ApplianceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApplianceError('internal', message);
}
