import { api } from '../api.ts';
import { fill, h, table } from '../dom.ts';
import type { CallFeatures, Extension, FeatureCodes } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';

const FORWARDS = [
  ['forwardAlways', 'Always'], ['forwardBusy', 'On busy'], ['forwardNoAnswer', 'On no answer'], ['forwardUnreachable', 'Unreachable'],
] as const;
type ForwardField = (typeof FORWARDS)[number][0];

/**
 * Forwarding and do-not-disturb of every extension (issue 15, docs/PBX.md), set here as with
 * the CLI or from the phone by feature code; the feature codes and the voicemail server
 * (read-only: the configuration file's `[feature_codes]` and `[voicemail]`).
 */
export const forwardingPage: Page = (root) => {
  const list = h('section', { 'aria-label': 'Forwarding list' });
  const codes = h('section', { 'aria-label': 'Feature codes' });
  root.replaceChildren(heading('Forwarding and do-not-disturb'), list, codes);
  let names = new Map<string, string>();

  const row = (f: CallFeatures): HTMLElement[] => {
    const inputs = Object.fromEntries(FORWARDS.map(([k, label]) => [k, h('input', {
      name: k, maxlength: 10, inputmode: 'numeric', size: 6, value: f[k] ?? '', placeholder: 'off', 'aria-label': `Forward ${label.toLowerCase()} of ${f.extension}`,
    })])) as Record<ForwardField, HTMLInputElement>;
    const after = h('input', { name: 'noAnswerSeconds', type: 'number', min: 5, max: 120, value: f.noAnswerSeconds, 'aria-label': `No-answer time of ${f.extension} (s)`, class: 'seconds' });
    const dnd = h('input', { type: 'checkbox', name: 'dnd', checked: f.dnd, 'aria-label': `Do not disturb ${f.extension}` });
    const vm = h('input', { name: 'voicemailUri', maxlength: 200, size: 18, value: f.voicemailUri ?? '', placeholder: 'the office\'s', 'aria-label': `Own voicemail server of ${f.extension}` });
    const save = actionButton('Save', async () => {
      const body: Record<string, unknown> = { dnd: dnd.checked, noAnswerSeconds: Number(after.value) };
      for (const [k] of FORWARDS) body[k] = inputs[k].value.trim() || null;
      body.voicemailUri = vm.value.trim() || null;
      await api('PUT', `/api/extensions/${encodeURIComponent(f.extension)}/features`, body);
      notify(`Extension ${f.extension} saved`);
      await load();
    }, { 'aria-label': `Save forwarding of ${f.extension}`, class: 'nowrap' });
    const label = names.get(f.extension);
    return [
      h('span', {}, f.extension, label ? h('span', { class: 'hint' }, ` ${label}`) : null),
      h('label', { class: 'toggle' }, dnd, f.dnd ? h('span', { class: 'badge state-ringing' }, 'DND') : null),
      inputs.forwardAlways, inputs.forwardBusy, h('span', { class: 'nowrap' }, inputs.forwardNoAnswer, ' after ', after, ' s'), inputs.forwardUnreachable, vm, save,
    ];
  };
  const load = async () => {
    const all = await api<CallFeatures[]>('GET', '/api/features');
    fill(list, h('h2', {}, 'Extensions'),
      h('p', { class: 'hint' }, 'A target is an extension, a ring group or an outside number the extension may call (through the dial plan); empty: off. With a voicemail server, calls nobody answers go there unless a forward says otherwise; an extension may name its own (a SIP URI such as sip:vm201@192.0.2.5:5070, not this appliance nor a trunk\'s provider).'),
      table('Forwarding of each extension', ['Extension', 'Do not disturb', 'Always', 'On busy', 'On no answer', 'Unreachable', 'Own voicemail', ''], all.map(row), 'no extension yet'));
  };
  void api<Extension[]>('GET', '/api/extensions').then((exts) => {
    names = new Map(exts.filter((e) => e.displayName).map((e) => [e.number, e.displayName]));
  }).catch(() => {}).finally(() => void load().catch((err) => notify(err instanceof Error ? err.message : String(err), 'error')));
  void api<FeatureCodes>('GET', '/api/feature-codes').then((fc) => fill(codes, h('h2', {}, 'Feature codes'),
    table('Dialled from a phone (its own extension; [feature_codes] in the configuration file)', ['Dial', 'Does'], fc.codes.map((c) => [h('code', {}, c.code), c.action])),
    h('p', {}, fc.voicemail
      ? ['Voicemail server ', h('code', {}, fc.voicemail.uri), `: calls go there ${[fc.voicemail.onBusy ? 'when busy' : '', fc.voicemail.onNoAnswer ? `after ${fc.voicemail.noAnswerSeconds} s without answer or when no phone is registered` : ''].filter(Boolean).join(' and ') || 'never'}; phones subscribe to it for message waiting.`]
      : 'No voicemail server ([voicemail] uri in the configuration file).'))).catch(() => {});
};
