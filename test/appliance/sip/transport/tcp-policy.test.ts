import { describe, expect, test } from 'bun:test';
import { admit, expiry, sweepInterval, type ConnTimes } from '../../../../appliance/sip/transport/tcp-policy.ts';
import type { SipTcpLimits } from '../../../../system/config/index.ts';

/** The TCP bounds' decisions (docs/SECURITY.md): who is admitted at accept, who is cut when. */
const limits: SipTcpLimits = { maxConnections: 100, maxPerSource: 10, idleTimeout: 7260, firstMessageTimeout: 30, messageTimeout: 10 };

describe('admit: caps at accept', () => {
  const rows: [string, number, number, ReturnType<typeof admit>][] = [
    ['nothing open', 0, 0, undefined],
    ['below both caps', 99, 9, undefined],
    ['the source at its cap', 50, 10, 'per-source'],
    ['the worker at its cap', 100, 0, 'total'],
    ['both at their caps: the total is reported', 100, 10, 'total'],
  ];
  for (const [name, total, fromSource, want] of rows) test(name, () => expect(admit(total, fromSource, limits)).toBe(want));
});

describe('expiry: the timers of one connection', () => {
  const at = (s: number) => s * 1000;
  const rows: [string, ConnTimes, number, ReturnType<typeof expiry>][] = [
    ['new, silent, before the first-message timeout', { openedAt: 0, activeAt: 0, established: false }, at(29.9), undefined],
    ['new, silent, at the first-message timeout', { openedAt: 0, activeAt: 0, established: false }, at(30), 'first-message'],
    ['new, sending pings all along: still cut (pings do not establish)', { openedAt: 0, activeAt: at(29), established: false }, at(30), 'first-message'],
    ['a message started 9 s ago', { openedAt: 0, activeAt: at(9), messageStartedAt: at(1), established: true }, at(10), undefined],
    ['a message started 10 s ago, bytes still dripping (slowloris)', { openedAt: 0, activeAt: at(9.9), messageStartedAt: 0, established: true }, at(10), 'message'],
    ['slowloris on a new connection: the message deadline comes first', { openedAt: 0, activeAt: at(9.5), messageStartedAt: at(0.1), established: false }, at(10.1), 'message'],
    ['established, quiet for an hour (a phone between re-REGISTERs)', { openedAt: 0, activeAt: 0, established: true }, at(3600), undefined],
    ['established, quiet for max_expires + 60 s', { openedAt: 0, activeAt: 0, established: true }, at(7260), 'idle'],
    ['established, a keep-alive a minute ago', { openedAt: 0, activeAt: at(7200), established: true }, at(7260), undefined],
  ];
  for (const [name, conn, now, want] of rows) test(name, () => expect(expiry(conn, now, limits)).toBe(want));
});

test('sweepInterval: a quarter of the shortest timeout, within 0.1..1 s', () => {
  expect(sweepInterval(limits)).toBe(1000);
  expect(sweepInterval({ ...limits, messageTimeout: 2 })).toBe(500);
  expect(sweepInterval({ ...limits, messageTimeout: 1, firstMessageTimeout: 1 })).toBe(250);
});
