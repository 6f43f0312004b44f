import { ValidationError } from '../../system/errors/index.ts';
import { GROUP_OUTSIDE_DEFAULTS, RING_STRATEGIES, type ExtensionCallClass, type RingGroupRecord, type RingStrategy, type Store } from '../../system/store/index.ts';
import { checkNotEmergency, cleanName } from './extension-service.ts';
import { VOICEMAIL } from '../sip/proxy/call-plan.ts';
import { isCallTarget, referencesTo } from './call-target-references.ts';
import { checkPermissions } from './outside-call-permissions.ts';
import type { OutsideMemberCheck } from './outside-forward-check.ts';

/** A ring group as an admin gives it (CLI or API); absent fields keep their value (or default). */
export interface RingGroupInput {
  readonly number: string;
  readonly name?: string;
  readonly strategy?: string;
  readonly members?: readonly string[];
  readonly ringSeconds?: number;
  readonly timeoutSeconds?: number;
  /** An extension or another group; null or '' removes it. */
  readonly fallback?: string | null;
  /** The dearest class of outside member (internal | local | national | international | premium). */
  readonly callClass?: string;
  /** Outside members ringing or in a call at once (0-1000). */
  readonly maxOutsideCalls?: number;
  /** Calls to outside members started per hour (0-1000). */
  readonly outsideCallsPerHour?: number;
}

const NUMBER = /^[0-9]{2,10}$/;
const MAX_MEMBERS = 32;

/** Validates a group number (2 to 10 digits, like extensions). */
export function checkGroupNumber(number: string): void {
  if (typeof number !== 'string' || !NUMBER.test(number)) throw new ValidationError(`invalid ring group number "${String(number).slice(0, 20)}": use 2 to 10 digits`, 'number');
}

function seconds(v: number | undefined, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) throw new ValidationError(`${field} must be a whole number of seconds from ${min} to ${max}`, field);
  return v;
}

/** Ring group management shared by the CLI and the web API (issue 15). */
export class RingGroupService {
  /**
   * @param voicemail a `[voicemail]` server is configured: `voicemail` is a fallback (the group's own mailbox, docs/PBX.md).
   * @param outside checks outside numbers as members (outside-forward-check.ts); absent: members are extensions only.
   */
  constructor(private readonly store: Store, private readonly emergencyNumbers: readonly string[] = [], private readonly voicemail = false,
    private readonly outside?: OutsideMemberCheck) {}

  list(): RingGroupRecord[] {
    return this.store.ringGroups.list();
  }

  get(number: string): RingGroupRecord | undefined {
    return this.store.ringGroups.get(number);
  }

  add(input: RingGroupInput): RingGroupRecord {
    checkGroupNumber(input.number);
    checkNotEmergency(input.number, this.emergencyNumbers);
    if (this.store.extensions.get(input.number)) throw new ValidationError(`ring group number "${input.number}" is an extension`, 'number');
    const permissions = { ...GROUP_OUTSIDE_DEFAULTS, ...this.permissions(input) };
    const rec = this.store.ringGroups.add({
      number: input.number,
      name: cleanName(input.name ?? ''),
      strategy: this.strategy(input.strategy ?? 'ring-all'),
      members: this.members(input.members ?? [], permissions.callClass),
      ...permissions,
      ringSeconds: seconds(input.ringSeconds, 'ringSeconds', 5, 120) ?? 15,
      timeoutSeconds: seconds(input.timeoutSeconds, 'timeoutSeconds', 5, 180) ?? 60,
      fallback: this.fallback(input.number, input.fallback),
    });
    this.store.events.append('admin.group.add', `ring group ${rec.number} added`, { number: rec.number });
    return rec;
  }

  update(input: RingGroupInput): RingGroupRecord {
    checkGroupNumber(input.number);
    const cur = this.store.ringGroups.get(input.number);
    const permissions = this.permissions(input);
    const callClass = permissions.callClass ?? cur?.callClass ?? GROUP_OUTSIDE_DEFAULTS.callClass;
    // A lower class must still permit the outside members the group keeps.
    const members = input.members ?? (permissions.callClass !== undefined ? cur?.members : undefined);
    const patch: Parameters<Store['ringGroups']['update']>[1] = {
      ...(input.name !== undefined ? { name: cleanName(input.name) } : {}),
      ...(input.strategy !== undefined ? { strategy: this.strategy(input.strategy) } : {}),
      ...(members !== undefined ? { members: this.members(members, callClass) } : {}),
      ...permissions,
      ...(input.ringSeconds !== undefined ? { ringSeconds: seconds(input.ringSeconds, 'ringSeconds', 5, 120) } : {}),
      ...(input.timeoutSeconds !== undefined ? { timeoutSeconds: seconds(input.timeoutSeconds, 'timeoutSeconds', 5, 180) } : {}),
      ...(input.fallback !== undefined ? { fallback: this.fallback(input.number, input.fallback) } : {}),
    };
    const rec = this.store.ringGroups.update(input.number, patch);
    this.store.events.append('admin.group.update', `ring group ${rec.number} changed`, { number: rec.number });
    return rec;
  }

  /** Removes a group; refused while another group falls back to it or an extension forwards to it. */
  remove(number: string): void {
    checkGroupNumber(number);
    const users = referencesTo(this.store, number);
    if (users.length > 0) throw new ValidationError(`ring group ${number} is still used by ${users.join(', ')}`, 'number', 'conflict');
    this.store.ringGroups.remove(number);
    this.store.events.append('admin.group.remove', `ring group ${number} removed`, { number });
  }

  private strategy(s: string): RingStrategy {
    if (!(RING_STRATEGIES as readonly string[]).includes(s)) throw new ValidationError(`invalid strategy "${String(s).slice(0, 20)}": use ${RING_STRATEGIES.join(' or ')}`, 'strategy');
    return s as RingStrategy;
  }

  /** The group's outside permissions given (checked as an extension's are), without outboundCallerId (a group has none). */
  private permissions(input: RingGroupInput): Partial<Pick<RingGroupRecord, 'callClass' | 'maxOutsideCalls' | 'outsideCallsPerHour'>> {
    const p = checkPermissions({ callClass: input.callClass, maxOutsideCalls: input.maxOutsideCalls, outsideCallsPerHour: input.outsideCallsPerHour });
    return {
      ...(p.callClass !== undefined ? { callClass: p.callClass } : {}),
      ...(p.maxOutsideCalls !== undefined ? { maxOutsideCalls: p.maxOutsideCalls } : {}),
      ...(p.outsideCallsPerHour !== undefined ? { outsideCallsPerHour: p.outsideCallsPerHour } : {}),
    };
  }

  /**
   * Members: extensions, or outside numbers the dial plan routes in the group's class (never
   * an emergency number, nor one of our own numbers written as if it were outside).
   */
  private members(list: readonly string[], callClass: ExtensionCallClass): string[] {
    if (!Array.isArray(list)) throw new ValidationError('members must be a list of extension or outside numbers', 'members');
    if (list.length > MAX_MEMBERS) throw new ValidationError(`at most ${MAX_MEMBERS} members`, 'members');
    const seen = new Set<string>();
    for (const m of list) {
      const shown = String(m).slice(0, 20);
      if (typeof m !== 'string') throw new ValidationError(`member "${shown}" is not an extension`, 'members');
      if (!this.store.extensions.get(m)) {
        if (!this.outside || !/^\+?[0-9]{2,16}$/.test(m)) throw new ValidationError(`member "${shown}" is not an extension${this.outside ? ' nor an outside number' : ''}`, 'members');
        if (this.store.ringGroups.get(m)) throw new ValidationError(`member "${shown}" is a ring group: use it as the fallback`, 'members');
        if (this.emergencyNumbers.includes(m)) throw new ValidationError(`member "${shown}": an emergency number cannot be a group member`, 'members');
        const why = this.outside(callClass, m);
        if (why) throw new ValidationError(`member "${shown}" is not an extension, and as an outside number: ${why}`, 'members');
      }
      if (seen.has(m)) throw new ValidationError(`member ${m} is listed twice`, 'members');
      seen.add(m);
    }
    return list.slice();
  }

  private fallback(number: string, fallback: string | null | undefined): string | null {
    if (fallback === undefined || fallback === null || fallback === '') return null;
    if (fallback === number) throw new ValidationError('a group cannot fall back to itself', 'fallback');
    if (fallback === VOICEMAIL) {
      if (!this.voicemail) throw new ValidationError('fallback "voicemail" needs a voicemail server ([voicemail] uri)', 'fallback');
      return fallback;
    }
    if (!isCallTarget(this.store, fallback)) throw new ValidationError(`fallback "${String(fallback).slice(0, 20)}" is neither an extension nor a ring group`, 'fallback');
    return fallback;
  }
}
