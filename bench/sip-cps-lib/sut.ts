/** A system under test: a SIP proxy + registrar for the bench domain on one loopback address. */

/** What every SUT gets from the harness. */
export interface SutContext {
  /** Temp dir for this SUT's files (config, logs, data). */
  readonly dir: string;
  /** Source addresses that skip digest auth (caller and callee). */
  readonly trusted: readonly string[];
  /** Callee extension registered from a trusted address. */
  readonly callee: string;
  /** Users of the digest REGISTER test; all share `password`. */
  readonly regUsers: readonly string[];
  readonly password: string;
  readonly domain: string;
}

export interface Sut {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Starts the SUT and resolves once it takes SIP; throws `SutUnavailable` if it cannot. */
  start(ctx: SutContext): Promise<void>;
  /**
   * Waits (bounded) until the SUT has left an overload state it entered in an earlier step
   * (the appliance keeps shedding with 503 for a while); returns what it waited for, if anything.
   */
  settle?(): Promise<string | undefined>;
  /** How many worker processes serve SIP right now (sampled after each step), if known. */
  workers?(): number | undefined;
  stop(): Promise<void>;
}

/** The SUT is missing or failed to start: the harness skips it and goes on. */
export class SutUnavailable extends Error {
  override readonly name = 'SutUnavailable';
}

/** Last `n` non-empty lines of a log text, indented, for an error message. */
export function tail(text: string, n = 8): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .map((l) => `    ${l}`)
    .join('\n');
}
