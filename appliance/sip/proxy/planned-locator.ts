import type { RouteDecision, Target } from './targets.ts';
import { historyInfo, type CallPlan } from './call-plan.ts';

/**
 * The location service with ring groups, forwarding and do-not-disturb in front
 * (call-plan.ts): the plan's extensions are located as usual and rung in parallel
 * (RFC 3261 §16.7 forking), each forwarded request naming its original target in
 * History-Info (RFC 7044); the plan's answer (486, 482, 480, 404) is given as it is.
 */
export function withCallPlan(
  locate: (user: string) => Promise<RouteDecision>,
  plan: (user: string) => CallPlan,
  domain: string,
): (user: string) => Promise<RouteDecision> {
  return async (user) => {
    const p = plan(user);
    if (p.kind === 'direct') return locate(user);
    if (p.kind === 'reply') return { kind: 'reply', status: p.status, reason: p.reason };
    const found = await Promise.all(p.targets.map((t) => locate(t.extension)));
    const targets: Target[] = [];
    const contacts: string[] = [];
    found.forEach((d, i) => {
      const hi = historyInfo(p.targets[i].history, domain);
      if (d.kind === 'relay') targets.push(...d.targets.map((t) => (hi ? { ...t, headers: { 'history-info': hi } } : t)));
      else if (d.kind === 'redirect') contacts.push(...d.contacts);
    });
    if (contacts.length > 0) return { kind: 'redirect', contacts };
    if (targets.length > 0) return { kind: 'relay', targets };
    return { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
  };
}
