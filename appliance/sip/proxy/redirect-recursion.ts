/**
 * Recursion on a phone's own 3xx (RFC 3261 §16.5 / §16.7 step 4): when a branch answers
 * 300/301/302 naming our own users (`sip:204@office.lan`), the proxy rings them within the
 * same response context instead of passing the redirect upstream, with History-Info (cause =
 * the 3xx, RFC 4458) appended. Bounded (MAX_FORWARD_HOPS redirects per call, MAX_CONTACTS_FOLLOWED
 * numbers per redirect, best q first) and loop-safe
 * (a number already rung in this call is not rung again). Contacts elsewhere (another host,
 * another domain, an outside number's gateway) are not followed: the 3xx keeps them and goes
 * upstream as usual, so the caller's own new INVITE passes our auth and permission checks.
 */
import type { SipResponse } from '../message/types.ts';
import { parseSipUri } from '../message/uri.ts';
import type { ClientTransaction } from '../transaction/client-transaction.ts';
import { historyInfo, MAX_FORWARD_HOPS } from './call-plan.ts';
import type { RedirectFollower } from './fork.ts';
import { appendHistoryInfo, lastEntryUser } from './history-info.ts';
import type { RouteDecision, Target } from './targets.ts';

const RECURSED = new Set([300, 301, 302]);
/** Numbers followed from one 3xx at most: a phone naming every extension must not make the proxy ring the office. */
export const MAX_CONTACTS_FOLLOWED = 8;

/** Which of a 3xx's contacts to follow (pure): our users not rung yet, best q first. */
export function contactsToFollow(res: SipResponse, isLocalHost: (host: string) => boolean, rung: ReadonlySet<string>): string[] {
  if (!RECURSED.has(res.status)) return [];
  const contacts = Array.isArray(res.headers.contact) ? res.headers.contact : [];
  const q = (c: { params: Record<string, string | null> }) => Number(c.params.q ?? 1) || 0;
  const out: string[] = [];
  for (const c of [...contacts].sort((a, b) => q(b) - q(a))) {
    const u = parseSipUri(c.uri);
    if (!u || !u.user || !isLocalHost(u.host) || !/^[0-9]{2,10}$/.test(u.user)) continue;
    if (!rung.has(u.user) && !out.includes(u.user)) out.push(u.user);
    if (out.length === MAX_CONTACTS_FOLLOWED) break;
  }
  return out;
}

/** What the recursion needs from the relay: locating a number, starting branches, the branch targets. */
export interface RecursionDeps {
  readonly domain: string;
  readonly isLocalHost: (host: string) => boolean;
  /** The location service with the call plan (forwards/DND of the new target apply; serial steps do not). */
  readonly locate: (user: string) => RouteDecision | Promise<RouteDecision>;
  /** Starts `targets` as new branches of the fork; false when the fork is over. */
  readonly launch: (targets: readonly Target[]) => boolean;
  /** The Target a branch was started for (its History-Info). */
  readonly targetOf: (ct: ClientTransaction) => Target | undefined;
}

/** One call's 3xx recursion state. */
export class RedirectRecursion implements RedirectFollower {
  private redirects = 0;
  private readonly rung: Set<string>;

  /** @param dialled the Request-URI user of the call (already rung). */
  constructor(private readonly deps: RecursionDeps, dialled: string | undefined) {
    this.rung = new Set(dialled ? [dialled] : []);
  }

  follow(res: SipResponse, ct: ClientTransaction): Promise<boolean> | undefined {
    if (this.redirects >= MAX_FORWARD_HOPS) return undefined;
    const numbers = contactsToFollow(res, this.deps.isLocalHost, this.rung);
    if (numbers.length === 0) return undefined;
    this.redirects++;
    for (const n of numbers) this.rung.add(n);
    const branchHi = this.deps.targetOf(ct)?.headers?.['history-info'];
    const from = lastEntryUser(branchHi) ?? [...this.rung][0];
    return Promise.all(numbers.map((n) => this.deps.locate(n))).then((found) => {
      const targets: Target[] = [];
      found.forEach((d, i) => {
        if (d.kind !== 'relay') return;
        const ours = historyInfo([{ number: from }, { number: numbers[i], cause: res.status }], this.deps.domain)!;
        const hi = branchHi ? appendHistoryInfo(branchHi, ours) : ours;
        // The new target's own plan may have put History-Info of its forwards: ours comes first.
        for (const t of d.targets) {
          const own = t.headers?.['history-info'];
          targets.push({ ...t, headers: { ...t.headers, 'history-info': own ? appendHistoryInfo(hi, own) : hi } });
        }
      });
      return targets.length > 0 && this.deps.launch(targets);
    });
  }
}
