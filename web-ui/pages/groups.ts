import { api } from '../api.ts';
import { field, fill, h, table } from '../dom.ts';
import { nameBook, partyLabel, type NameBook } from '../parties.ts';
import type { Extension, RingGroup } from '../types.ts';
import { CALL_CLASS_ORDER } from '../call-classes.ts';
import { actionButton, clearFormError, heading, notify, showFormError, type Page } from '../ui.ts';

const STRATEGY_TEXT = { 'ring-all': 'ring all at once', hunt: 'hunt (one after another)' } as const;

/** "201, 202 203" → ["201", "202", "203"]. */
const memberList = (text: string) => text.split(/[\s,;]+/).filter((m) => m !== '');

/**
 * Ring groups (issue 15, docs/PBX.md): the list with each group's members in their hunt order
 * (moved up and down in place), add, edit and remove. Everything goes through /api/groups,
 * whose validation (the CLI's) names the field that is wrong.
 */
export const groupsPage: Page = (root) => {
  const list = h('section', { 'aria-label': 'Ring group list' });
  const editor = h('section', { 'aria-label': 'Ring group editor' });
  let groups: RingGroup[] = [];
  let names: NameBook = new Map();
  root.replaceChildren(heading('Ring groups', h('button', { type: 'button', class: 'primary', onclick: () => edit() }, 'Add group')), editor, list);

  const load = async () => {
    groups = await api<RingGroup[]>('GET', '/api/groups');
    draw();
  };
  const save = async (g: RingGroup, members: string[]) => {
    await api('PUT', `/api/groups/${encodeURIComponent(g.number)}`, { members });
    await load();
  };
  const move = (g: RingGroup, i: number, by: number) => {
    const m = [...g.members];
    [m[i], m[i + by]] = [m[i + by], m[i]];
    return save(g, m);
  };
  const membersCell = (g: RingGroup) => h('ol', { class: 'members' }, g.members.map((m, i) => h('li', {},
    h('span', {}, partyLabel(m, names)),
    i > 0 ? actionButton('↑', () => move(g, i, -1), { 'aria-label': `Move ${m} up in group ${g.number}`, class: 'small' }) : null,
    i < g.members.length - 1 ? actionButton('↓', () => move(g, i, 1), { 'aria-label': `Move ${m} down in group ${g.number}`, class: 'small' }) : null)));
  const draw = () => fill(list, h('h2', {}, 'Groups'), table('Ring groups', ['Number', 'Name', 'Strategy', 'Members (in order)', 'Ring time', 'Fallback', 'Edited on', ''], groups.map((g) => [
    g.number, g.name, STRATEGY_TEXT[g.strategy], membersCell(g),
    g.strategy === 'hunt' ? `${g.ringSeconds} s each, ${g.timeoutSeconds} s in all` : `${g.timeoutSeconds} s`,
    g.fallback ? partyLabel(g.fallback, names) : '', g.editedOn ?? '',
    h('span', { class: 'row-actions' },
      h('button', { type: 'button', 'aria-label': `Edit group ${g.number}`, onclick: () => edit(g) }, 'Edit'),
      actionButton('Remove', async () => {
        if (!confirm(`Remove ring group ${g.number}?`)) return;
        await api('DELETE', `/api/groups/${encodeURIComponent(g.number)}`);
        notify(`Group ${g.number} removed`);
        await load();
      }, { class: 'danger', 'aria-label': `Remove group ${g.number}` })),
  ]), 'no ring group yet'));

  /** The add / edit form; `g` undefined: a new group. */
  const edit = (g?: RingGroup) => {
    const number = h('input', { name: 'number', required: true, maxlength: 10, inputmode: 'numeric', value: g?.number ?? '', readonly: g ? true : null });
    const name = h('input', { name: 'name', maxlength: 200, value: g?.name ?? '' });
    const strategy = h('select', { name: 'strategy' }, (['ring-all', 'hunt'] as const).map((s) => h('option', { value: s, selected: g?.strategy === s }, STRATEGY_TEXT[s])));
    const members = h('input', { name: 'members', required: true, maxlength: 400, value: g?.members.join(', ') ?? '', placeholder: '201, 202, 203' });
    const ring = h('input', { name: 'ringSeconds', type: 'number', min: 5, max: 120, value: g?.ringSeconds ?? 15 });
    const timeout = h('input', { name: 'timeoutSeconds', type: 'number', min: 5, max: 180, value: g?.timeoutSeconds ?? 60 });
    const fallback = h('input', { name: 'fallback', maxlength: 10, inputmode: 'numeric', value: g?.fallback ?? '', placeholder: 'none' });
    // The group's own permissions for its outside members (docs/PBX.md "Outside numbers as group members").
    const callClass = h('select', { name: 'callClass' }, CALL_CLASS_ORDER.map((c) => h('option', { value: c, selected: (g?.callClass ?? 'national') === c }, c)));
    const maxCalls = h('input', { name: 'maxOutsideCalls', type: 'number', min: 0, max: 1000, value: g?.maxOutsideCalls ?? 2 });
    const perHour = h('input', { name: 'outsideCallsPerHour', type: 'number', min: 0, max: 1000, value: g?.outsideCallsPerHour ?? 30 });
    const form = h('form', { class: 'card', 'aria-label': g ? `Edit group ${g.number}` : 'New ring group' },
      h('h2', {}, g ? `Group ${g.number}` : 'New ring group'),
      h('div', { class: 'form-grid' },
        field('Number', number, '2-10 digits, not an extension'), field('Name', name),
        field('Strategy', strategy), field('Members', members, 'extension or outside numbers (through the dial plan), in hunt order'),
        field('Ring time per member (s)', ring, 'hunt: each member rings this long'), field('Group timeout (s)', timeout, 'then the fallback'),
        field('Fallback', fallback, 'an extension, another group, or voicemail; empty: none'),
        field('Outside call class', callClass, 'the dearest class an outside member may be: the group calls it as itself, whoever called the group'),
        field('Outside calls at once', maxCalls), field('Outside calls per hour', perHour)),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, g ? 'Save group' : 'Add group'),
        h('button', { type: 'button', onclick: () => fill(editor) }, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFormError(form);
      const body = {
        name: name.value.trim(), strategy: strategy.value, members: memberList(members.value),
        ringSeconds: Number(ring.value), timeoutSeconds: Number(timeout.value), fallback: fallback.value.trim() || null,
        callClass: callClass.value, maxOutsideCalls: Number(maxCalls.value), outsideCallsPerHour: Number(perHour.value),
      };
      try {
        if (g) await api('PUT', `/api/groups/${encodeURIComponent(g.number)}`, body);
        else await api('POST', '/api/groups', { number: number.value.trim(), ...body });
        notify(`Group ${g?.number ?? number.value.trim()} saved`);
        fill(editor);
        await load();
      } catch (err) {
        showFormError(form, err);
      }
    });
    fill(editor, form);
    (g ? name : number).focus();
  };

  void api<Extension[]>('GET', '/api/extensions').then((exts) => {
    names = nameBook(exts);
    draw();
  }).catch(() => {});
  void load().catch((err) => notify(err instanceof Error ? err.message : String(err), 'error'));
};
