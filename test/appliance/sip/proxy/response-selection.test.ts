import { describe, expect, test } from 'bun:test';
import { selectBest } from '../../../../appliance/sip/proxy/response-selection.ts';

/** Best response of a fork (RFC 3261 §16.7 step 6). */
describe('selectBest', () => {
  const rows: [string, number[], { index: number; status: number } | undefined][] = [
    ['no responses', [], undefined],
    ['a single 486', [486], { index: 0, status: 486 }],
    ['6xx beats everything (§16.7 step 6)', [404, 603, 500], { index: 1, status: 603 }],
    ['the first 6xx of several', [486, 600, 604], { index: 1, status: 600 }],
    ['lowest class: 3xx over 4xx and 5xx', [500, 404, 302], { index: 2, status: 302 }],
    ['4xx over 5xx', [503, 480], { index: 1, status: 480 }],
    ['401 preferred within 4xx (§16.7 step 6: helps the caller)', [404, 486, 401], { index: 2, status: 401 }],
    ['407 preferred within 4xx', [480, 407], { index: 1, status: 407 }],
    ['415, 420, 484 preferred too', [486, 484], { index: 1, status: 484 }],
    ['401 and 407 from two branches: the lower code', [407, 401], { index: 1, status: 401 }],
    ['408 deprioritised below other 4xx', [408, 486], { index: 1, status: 486 }],
    ['408 still beats 5xx', [500, 408], { index: 1, status: 408 }],
    ['a lone 503 becomes 500 (§16.7 step 6)', [503], { index: 0, status: 500 }],
    ['503 chosen among 5xx also becomes 500', [504, 503], { index: 1, status: 500 }],
    ['500 wins over 503 and stays 500', [503, 500], { index: 1, status: 500 }],
    ['503 does not matter when a 4xx exists', [503, 404], { index: 1, status: 404 }],
    ['a 2xx in the list is the lowest class', [486, 200], { index: 1, status: 200 }],
    ['lower code within a class when equally helpful', [486, 404, 480], { index: 1, status: 404 }],
    ['a lone 430 Flow Failed becomes 480 for the caller (RFC 5626 §5.3.1)', [430], { index: 0, status: 480 }],
    ['430 ranks below other 4xx, like 408', [430, 486], { index: 1, status: 486 }],
    ['430 still beats 5xx', [503, 430], { index: 1, status: 480 }],
  ];
  for (const [name, statuses, expected] of rows) test(`${name}: [${statuses}]`, () => expect(selectBest(statuses)).toEqual(expected));
  // The edge proxy of a flow (a peer's request with a flow token): the 430 is the peer's to judge (proxy/fork.ts `edgeOfFlow`).
  const edge: [string, number[], { index: number; status: number }][] = [
    ['the edge proxy keeps a lone 430 for its peer', [430], { index: 0, status: 430 }],
    ['the edge proxy: still a 503 becomes 500', [503], { index: 0, status: 500 }],
    ['the edge proxy: another 4xx still beats 430', [430, 486], { index: 1, status: 486 }],
  ];
  for (const [name, statuses, expected] of edge) test(`${name}: [${statuses}]`, () => expect(selectBest(statuses, true)).toEqual(expected));
});
