import { expect, test } from 'bun:test';
import { setupSteps } from '../../web-ui/setup-steps.ts';

/** The dashboard's first-run steps, each ticked from the real state (web-ui/setup-steps.ts). */
const cases: [string, Parameters<typeof setupSteps>[0], boolean[], string[]][] = [
  ['a new box: nothing done', { extensions: 0, registeredExtensions: 0, trunkStates: [] }, [false, false, false],
    ['one per phone or person: number, name, password (or import a CSV file)', 'open "Phone setup" next to an extension and enter those fields on the phone', 'add your SIP provider\'s account on the Trunks page to call outside numbers']],
  ['extensions, no phone yet', { extensions: 3, registeredExtensions: 0, trunkStates: [] }, [true, false, false],
    ['3 extensions', 'open "Phone setup" next to an extension and enter those fields on the phone', 'add your SIP provider\'s account on the Trunks page to call outside numbers']],
  ['a phone up, a trunk still registering', { extensions: 1, registeredExtensions: 1, trunkStates: ['registering'] }, [true, true, false],
    ['1 extension', '1 of 1 extension with a phone registered', '1 trunk configured, none registered yet']],
  ['a failed trunk and a static one: the static one carries calls', { extensions: 2, registeredExtensions: 1, trunkStates: ['failed', 'static'] }, [true, true, true],
    ['2 extensions', '1 of 2 extensions with a phone registered', '1 trunk connected']],
  ['all done', { extensions: 5, registeredExtensions: 5, trunkStates: ['up', 'up'] }, [true, true, true],
    ['5 extensions', '5 of 5 extensions with a phone registered', '2 trunks connected']],
];
test.each(cases)('%s', (_name, facts, done, status) => {
  const steps = setupSteps(facts);
  expect(steps.map((s) => s.id)).toEqual(['extensions', 'phones', 'trunk']);
  expect(steps.map((s) => s.done)).toEqual(done);
  expect(steps.map((s) => s.status)).toEqual(status);
});
