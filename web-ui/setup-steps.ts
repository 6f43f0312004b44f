/**
 * The first-run "next steps" (pure: test/web-ui/setup-steps.test.ts): what an admin does to get
 * the office going, each step ticked from the appliance's real state, not from a flag.
 */

/** What the steps are judged from (the extensions, the live registrations, the trunks' states). */
export interface SetupFacts {
  readonly extensions: number;
  /** Extensions with at least one phone registered now. */
  readonly registeredExtensions: number;
  /** Trunks by registration state (`GET /api/trunks`). */
  readonly trunkStates: readonly string[];
}

export interface SetupStep {
  readonly id: 'extensions' | 'phones' | 'trunk';
  readonly title: string;
  readonly done: boolean;
  /** Where it is done (a page of the UI). */
  readonly href: string;
  /** What is there now, or what to do. */
  readonly status: string;
}

/** A trunk that carries calls: registered, or one that needs no registration. */
const CONNECTED = new Set(['up', 'static']);

export function setupSteps(f: SetupFacts): SetupStep[] {
  const connected = f.trunkStates.filter((s) => CONNECTED.has(s)).length;
  return [
    {
      id: 'extensions', title: 'Add an extension for each phone', href: '#/extensions', done: f.extensions > 0,
      status: f.extensions > 0 ? `${f.extensions} extension${f.extensions === 1 ? '' : 's'}` : 'one per phone or person: number, name, password (or import a CSV file)',
    },
    {
      id: 'phones', title: 'Set up the phones', href: '#/extensions', done: f.registeredExtensions > 0,
      status: f.registeredExtensions > 0
        ? `${f.registeredExtensions} of ${f.extensions} extension${f.extensions === 1 ? '' : 's'} with a phone registered`
        : 'open "Phone setup" next to an extension and enter those fields on the phone',
    },
    {
      id: 'trunk', title: 'Connect a trunk (outside line)', href: '#/trunks', done: connected > 0,
      status: connected > 0 ? `${connected} trunk${connected === 1 ? '' : 's'} connected`
        : f.trunkStates.length > 0 ? `${f.trunkStates.length} trunk${f.trunkStates.length === 1 ? '' : 's'} configured, none registered yet`
          : 'add your SIP provider\'s account on the Trunks page to call outside numbers',
    },
  ];
}
