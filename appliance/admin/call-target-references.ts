import type { Store } from '../../system/store/index.ts';

const NUMBER = /^[0-9]{2,10}$/;

/** True when `number` is an extension or a ring group (a forward or fallback target). */
export function isCallTarget(store: Store, number: string): boolean {
  return typeof number === 'string' && NUMBER.test(number) && (store.extensions.get(number) !== undefined || store.ringGroups.get(number) !== undefined);
}

/** Who names `number` as fallback or forward target: "group 600", "extension 201 (busy)". */
export function referencesTo(store: Store, number: string): string[] {
  const out: string[] = [];
  for (const g of store.ringGroups.list()) {
    if (g.fallback === number) out.push(`group ${g.number} (fallback)`);
    if (g.members.includes(number)) out.push(`group ${g.number} (member)`);
  }
  for (const f of store.callFeatures.list()) {
    const kinds = ([['always', f.forwardAlways], ['busy', f.forwardBusy], ['noanswer', f.forwardNoAnswer], ['unreachable', f.forwardUnreachable]] as const)
      .filter(([, t]) => t === number).map(([k]) => k);
    if (kinds.length > 0 && f.extension !== number) out.push(`extension ${f.extension} (${kinds.join(', ')})`);
  }
  return out;
}
