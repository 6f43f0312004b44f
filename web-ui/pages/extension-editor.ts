import { api } from '../api.ts';
import { field, fill, h } from '../dom.ts';
import type { DigestPolicy, Extension } from '../types.ts';
import { CALL_CLASS_LABELS, CALL_CLASS_ORDER } from '../call-classes.ts';
import { clearFormError, generatePassword, notify, showFormError } from '../ui.ts';

/** The digest choices an admin sees, in plain words (appliance/sip/auth/digest-offer.ts). */
const DIGEST_CHOICES: [DigestPolicy, string][] = [
  ['default', 'Default (MD5)'],
  ['md5', 'MD5 only'],
  ['both', 'SHA-256 or MD5'],
  ['sha-256', 'SHA-256 only'],
];

/** What the Digest column says for an extension. */
export function digestText(e: Extension): string {
  const base = e.digest === 'default' ? 'MD5' : e.digest === 'both' ? 'SHA-256 or MD5' : e.digest === 'md5' ? 'MD5' : 'SHA-256';
  return e.sha256Learnt.length > 0 && e.digest !== 'md5' ? `SHA-256 (learnt: ${e.sha256Learnt.join(', ')})` : base;
}

/** What the Outside calls column says: the dearest class and the limits. */
export const permissionText = (e: Extension) => `${e.callClass}, ${e.maxOutsideCalls} at once, ${e.outsideCallsPerHour}/h${e.outboundCallerId ? `, as ${e.outboundCallerId}` : ''}`;

/** A count as typed: a whole number goes as one; anything else as text, for the API to refuse naming the field. */
const count = (v: string): number | string => (/^[0-9]{1,6}$/.test(v.trim()) ? Number(v.trim()) : v.trim());

/** Where the editor lives and what it tells the page. */
export interface EditorHost {
  readonly root: HTMLElement;
  /** An extension was added or saved; `password` when one was set (kept by the page only, for the setup card). */
  saved(number: string, password: string | undefined): void | Promise<void>;
}

/** The add form, or the edit form of `existing`: every field checked by the API, errors next to their field. */
export function showExtensionEditor(host: EditorHost, existing?: Extension): void {
  const number = h('input', { name: 'number', inputmode: 'numeric', pattern: '[0-9]{2,10}', required: !existing, value: existing?.number ?? '', disabled: !!existing });
  const name = h('input', { name: 'displayName', maxlength: 64, value: existing?.displayName ?? '' });
  const e164 = h('input', { name: 'e164', placeholder: '+15551230201', value: existing?.e164 ?? '' });
  const pw = h('input', { name: 'password', type: 'text', autocomplete: 'new-password', spellcheck: 'false', required: !existing });
  const digest = h('select', { name: 'digest' },
    ...DIGEST_CHOICES.map(([v, label]) => h('option', { value: v, selected: (existing?.digest ?? 'default') === v }, label)));
  const callClass = h('select', { name: 'callClass' },
    ...CALL_CLASS_ORDER.map((v) => h('option', { value: v, selected: (existing?.callClass ?? 'national') === v }, CALL_CLASS_LABELS[v])));
  const maxCalls = h('input', { name: 'maxOutsideCalls', inputmode: 'numeric', value: String(existing?.maxOutsideCalls ?? 2) });
  const perHour = h('input', { name: 'outsideCallsPerHour', inputmode: 'numeric', value: String(existing?.outsideCallsPerHour ?? 30) });
  const callerId = h('input', { name: 'outboundCallerId', placeholder: '+15551230201', value: existing?.outboundCallerId ?? '' });
  const permissions = () => ({
    callClass: callClass.value, maxOutsideCalls: count(maxCalls.value), outsideCallsPerHour: count(perHour.value), outboundCallerId: callerId.value.trim() || null,
  });
  const gen = h('button', { type: 'button', onclick: () => { pw.value = generatePassword(); } }, 'Generate strong password');
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': existing ? `Edit extension ${existing.number}` : 'Add extension' },
    h('h2', {}, existing ? `Edit extension ${existing.number}` : 'Add an extension'),
    h('div', { class: 'form-grid' },
      field('Number', number, '2 to 10 digits'),
      field('Name', name),
      field('E.164 number', e164, 'Optional, e.g. +15551230201'),
      field('Digest algorithm', digest, 'Most phones need MD5. With "SHA-256 or MD5", a phone that answers SHA-256 gets SHA-256 only from then on (RFC 8760)'),
      h('div', {}, field(existing ? 'New password (empty: keep)' : 'Password', pw, 'At least 10 characters, three of: lower, upper, digits, symbols'), gen)),
    h('fieldset', { class: 'form-grid' },
      h('legend', {}, 'Outside calls (through the trunks)'),
      field('Call class', callClass, 'The dearest kind of number it may call; emergency numbers always work'),
      field('Outside calls at once', maxCalls, '0 to 1000; 0: none'),
      field('Outside calls per hour', perHour, '0 to 1000; 0: none'),
      field('Outbound caller ID', callerId, 'Optional: the number the provider shows; empty: the trunk\'s')),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, existing ? 'Save' : 'Add extension'),
      existing ? h('button', { type: 'button', onclick: () => showExtensionEditor(host) }, 'Cancel') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    try {
      if (existing) {
        await api('PUT', `/api/extensions/${encodeURIComponent(existing.number)}`, {
          displayName: name.value, e164: e164.value.trim() || null, digest: digest.value, ...permissions(), ...(pw.value ? { password: pw.value } : {}),
        });
        notify(`Extension ${existing.number} saved`);
        await host.saved(existing.number, pw.value || undefined);
      } else {
        const rec = await api<Extension>('POST', '/api/extensions', {
          number: number.value.trim(), password: pw.value, displayName: name.value, e164: e164.value.trim() || null, digest: digest.value, ...permissions(),
        });
        notify(`Extension ${rec.number} added`);
        await host.saved(rec.number, pw.value);
      }
      showExtensionEditor(host);
    } catch (err) {
      showFormError(form, err);
    }
  });
  fill(host.root, form);
  if (existing) name.focus();
}
