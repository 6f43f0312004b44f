/**
 * Best-response selection for a forked request (RFC 3261 §16.7 step 6): a 6xx if any, else
 * the lowest class, preferring within it responses that help the caller retry (401, 407,
 * 415, 420, 484); a lone 503 becomes 500 (a downstream overload is not ours to announce), a
 * 430 Flow Failed 480 (RFC 5626 §5.3.1: between proxies only); 408 and 430 rank below other 4xx.
 */
const HELPFUL = new Set([401, 407, 415, 420, 484]);

export function selectBest(statuses: readonly number[], keepFlowFailed = false): { index: number; status: number } | undefined {
  if (statuses.length === 0) return undefined;
  let best = -1;
  for (let i = 0; i < statuses.length; i++) {
    if (best < 0 || rank(statuses[i]) < rank(statuses[best])) best = i;
  }
  // RFC 5626 §5.3.1: 430 Flow Failed is the edge proxy's word to us (a peer holding the phone's
  // connection lost it); the caller hears 480, as for a phone not reachable now. `keepFlowFailed`:
  // we are that edge proxy, and our upstream is the peer (proxy/fork.ts `edgeOfFlow`).
  const status = statuses[best] === 503 ? 500 : statuses[best] === 430 && !keepFlowFailed ? 480 : statuses[best];
  return { index: best, status };
}

function rank(status: number): number {
  const cls = Math.floor(status / 100);
  if (cls === 6) return 0;
  return cls * 1000 + (HELPFUL.has(status) ? 0 : 500) + (status === 408 || status === 430 ? 400 : 0) + (status % 100);
}
