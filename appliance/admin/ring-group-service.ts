import { ValidationError } from '../../system/errors/index.ts';
import { RING_STRATEGIES, type RingGroupRecord, type RingStrategy, type Store } from '../../system/store/index.ts';
import { checkNotEmergency, cleanName } from './extension-service.ts';
import { VOICEMAIL } from '../sip/proxy/call-plan.ts';
import { isCallTarget, referencesTo } from './call-target-references.ts';

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
  /** @param voicemail a `[voicemail]` server is configured: `voicemail` is a fallback (the group's own mailbox, docs/PBX.md). */
  constructor(private readonly store: Store, private readonly emergencyNumbers: readonly string[] = [], private readonly voicemail = false) {}

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
    const rec = this.store.ringGroups.add({
      number: input.number,
      name: cleanName(input.name ?? ''),
      strategy: this.strategy(input.strategy ?? 'ring-all'),
      members: this.members(input.members ?? []),
      ringSeconds: seconds(input.ringSeconds, 'ringSeconds', 5, 120) ?? 15,
      timeoutSeconds: seconds(input.timeoutSeconds, 'timeoutSeconds', 5, 180) ?? 60,
      fallback: this.fallback(input.number, input.fallback),
    });
    this.store.events.append('admin.group.add', `ring group ${rec.number} added`, { number: rec.number });
    return rec;
  }

  update(input: RingGroupInput): RingGroupRecord {
    checkGroupNumber(input.number);
    const patch: Parameters<Store['ringGroups']['update']>[1] = {
      ...(input.name !== undefined ? { name: cleanName(input.name) } : {}),
      ...(input.strategy !== undefined ? { strategy: this.strategy(input.strategy) } : {}),
      ...(input.members !== undefined ? { members: this.members(input.members) } : {}),
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

  private members(list: readonly string[]): string[] {
    if (!Array.isArray(list)) throw new ValidationError('members must be a list of extension numbers', 'members');
    if (list.length > MAX_MEMBERS) throw new ValidationError(`at most ${MAX_MEMBERS} members`, 'members');
    const seen = new Set<string>();
    for (const m of list) {
      if (typeof m !== 'string' || !this.store.extensions.get(m)) throw new ValidationError(`member "${String(m).slice(0, 20)}" is not an extension`, 'members');
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
