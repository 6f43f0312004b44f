import type { RouteDecision, SerialStep, Target } from './targets.ts';
import { historyInfo, VOICEMAIL, voicemailMailbox, type CallPlan, type Hop, type Outcome, type Then } from './call-plan.ts';
import { diversion } from './diversion.ts';
import { statusFor } from '../../../system/errors/index.ts';

/**
 * Where the voicemail server of `mailbox` is (the extension's own `voicemailUri`, else
 * `[voicemail] uri`; resolved as any URI); undefined: none, or not reachable now.
 */
export type VoicemailTarget = (mailbox: string) => Promise<Target | undefined> | Target | undefined;

/**
 * The next hop for an outside forward target or group member: `number` through the dial plan
 * as extension or group `by` (its class and limits, an extension's caller ID towards the
 * provider); a string: why it may not.
 */
export type OutsideTarget = (number: string, by: string) => Promise<Target | string | undefined>;

/**
 * The location service with ring groups, forwarding and do-not-disturb in front
 * (call-plan.ts): the plan's extensions are located as usual and rung in parallel
 * (RFC 3261 §16.7 forking), each forwarded request naming its original target in
 * History-Info (RFC 7044); the plan's `then` becomes the serial step that follows
 * (proxy/serial-fork.ts); the plan's answer (486, 482, 480, 404) is given as it is.
 * `next`: call-plan.ts nextAfter over the same view. Only calls (INVITE) are planned: a MESSAGE,
 * OPTIONS or SUBSCRIBE to an extension reaches its phones as before, whatever its forwards or DND.
 */
export function withCallPlan(
  locate: (user: string) => Promise<RouteDecision>,
  plan: (user: string) => CallPlan,
  next: (then: Then, outcome: Outcome) => CallPlan | undefined,
  domain: string,
  voicemail?: VoicemailTarget,
  outside?: OutsideTarget,
): (user: string, method?: string) => Promise<RouteDecision> {
  const toOutside = async (number: string, by: string, history: readonly Hop[]): Promise<RouteDecision> => {
    const t = await outside?.(number, by);
    // A group member's hop has no cause (call-plan.ts Hop); a forward's has.
    const member = history[history.length - 1].cause === undefined;
    if (typeof t === 'string') return { kind: 'reply', status: statusFor('forbidden').sip, reason: `${member ? 'Outside member' : 'Forward'} refused: ${t}` };
    if (!t) return { kind: 'reply', status: statusFor('unavailable').sip, reason: 'Trunk Unavailable' };
    // The provider learns who forwarded (RFC 5806 Diversion; History-Info, RFC 7044); the trunk's own headers (P-Asserted-Identity) stay.
    return { kind: 'relay', targets: [{ ...t, headers: { ...t.headers, 'history-info': historyInfo(history, domain)!, diversion: diversion(history, domain) } }] };
  };
  const toVoicemail = async (history: readonly Hop[]): Promise<RouteDecision> => {
    const mailbox = voicemailMailbox(history);
    const t = await voicemail?.(mailbox);
    if (!t) return { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
    // RFC 4458 §3.2: the voicemail URI names the mailbox (target) and why (cause), and so does History-Info.
    const cause = history[history.length - 1].cause;
    const uri = `${t.uri};target=sip:${mailbox}%40${domain}`;
    const headers = { 'history-info': historyInfo(history, domain, uri)!, diversion: diversion(history, domain) };
    return { kind: 'relay', targets: [{ ...t, uri: `${uri}${cause !== undefined ? `;cause=${cause}` : ''}`, headers }] };
  };
  const decide = async (p: CallPlan, user: string): Promise<RouteDecision> => {
    if (p.kind === 'direct') return locate(user);
    if (p.kind === 'reply') return { kind: 'reply', status: p.status, reason: p.reason };
    const found = await Promise.all(p.targets.map((t) => (t.extension === VOICEMAIL ? toVoicemail(t.history)
      : t.forwardedBy ? toOutside(t.extension, t.forwardedBy, t.history) : locate(t.extension))));
    const targets: Target[] = [];
    const contacts: string[] = [];
    found.forEach((d, i) => {
      const hi = historyInfo(p.targets[i].history, domain);
      if (d.kind === 'relay' && (p.targets[i].extension === VOICEMAIL || p.targets[i].forwardedBy)) targets.push(...d.targets);
      else if (d.kind === 'relay') targets.push(...d.targets.map((t) => (hi ? { ...t, headers: { 'history-info': hi } } : t)));
      else if (d.kind === 'redirect') contacts.push(...d.contacts);
    });
    if (contacts.length > 0) return { kind: 'redirect', contacts };
    const then = p.then;
    if (targets.length === 0) {
      // Nobody to ring now (no binding): as if every phone had answered 480.
      const after = then && next(then, { statuses: [480], rangOut: false });
      if (after) return decide(after, user);
      // An outside forward refused (the forwarding extension's permissions) or its trunk down: that answer.
      const refused = found.find((d, i) => d.kind === 'reply' && p.targets[i].forwardedBy);
      return refused ?? { kind: 'reply', status: 480, reason: 'Temporarily Unavailable' };
    }
    if (!then) return { kind: 'relay', targets };
    const serial: SerialStep = {
      ...(then.ringMs !== undefined ? { ringMs: then.ringMs } : {}),
      next: (outcome) => {
        const after = next(then, outcome);
        return after && decide(after, user);
      },
    };
    return { kind: 'relay', targets, serial };
  };
  return (user, method) => (method === undefined || method === 'INVITE' ? decide(plan(user), user) : locate(user));
}
