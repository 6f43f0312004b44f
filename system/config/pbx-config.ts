import { ConfigError } from '../errors/index.ts';
import { bool, int, str, table } from './fields.ts';

/**
 * `[feature_codes]`: what a phone dials to change its own call features (issue 15,
 * docs/PBX.md "Feature codes"). Each code is 1-8 characters of `*`, `#` and digits starting
 * with `*` or `#` (so it can never be an extension, which is digits only).
 */
export interface FeatureCodesConfig {
  /** Followed by the target number: forward always on (`*72204`). */
  readonly forwardAlwaysOn: string;
  readonly forwardAlwaysOff: string;
  readonly dndOn: string;
  readonly dndOff: string;
}

/** `[voicemail]`: an external voicemail server (Asterisk, FreeSWITCH) by its URI. */
export interface VoicemailConfig {
  /** `sip:vm@192.0.2.5:5070`; undefined: no voicemail. */
  readonly uri: string | undefined;
  /** An extension's calls that every phone answered busy (486/600), or DND, go there. */
  readonly onBusy: boolean;
  /** An extension's calls unanswered after `noAnswerSeconds` go there. */
  readonly onNoAnswer: boolean;
  /** Ring time before voicemail when the extension sets no no-answer forward of its own. */
  readonly noAnswerSeconds: number;
}

const CODE = str({ pattern: /^[*#][0-9*#]{0,7}$/, hint: 'a code of *, # and digits starting with * or # (at most 8)' });
const CODE_DEFAULTS = { forward_always_on: '*72', forward_always_off: '*73', dnd_on: '*78', dnd_off: '*79' };

/** Validates `[feature_codes]`: distinct codes, none a prefix of the forward code (it is followed by digits). */
export function parseFeatureCodesConfig(raw: unknown): FeatureCodesConfig {
  const c = table(raw, 'feature_codes', { forward_always_on: CODE, forward_always_off: CODE, dnd_on: CODE, dnd_off: CODE }, CODE_DEFAULTS);
  const entries = Object.entries(c);
  for (const [k, v] of entries) {
    // The call pickup codes are fixed (appliance/sip/events/pickup-rules.ts, run before these): `**<ext>` and `*8`.
    if (v.startsWith('**') || v === '*8' || (k === 'forward_always_on' && v.startsWith('*8'))) throw new ConfigError(`feature_codes.${k}`, `"${v}" is taken by call pickup (**<extension>, *8)`);
    for (const [k2, v2] of entries) {
      if (k === k2) continue;
      if (v === v2) throw new ConfigError(`feature_codes.${k}`, `"${v}" is also feature_codes.${k2}`);
      // `*72` + digits must not be read as another code, nor another code as `*72` + digits.
      if (k2 === 'forward_always_on' && (v.startsWith(v2) || v2.startsWith(v))) throw new ConfigError(`feature_codes.${k}`, `"${v}" and feature_codes.forward_always_on "${v2}" begin alike: a forward target could not be told apart`);
    }
  }
  return { forwardAlwaysOn: c.forward_always_on, forwardAlwaysOff: c.forward_always_off, dndOn: c.dnd_on, dndOff: c.dnd_off };
}

const VM_DEFAULTS = { uri: null, on_busy: true, on_no_answer: true, no_answer_seconds: 20 };

/**
 * A voicemail server's URI, the office's (`[voicemail] uri`) or an extension's own
 * (admin/voicemail-uri-check.ts): user, host, port, parameters; no headers, since it becomes a
 * Request-URI, which has none (RFC 3261 §19.1.5). The one shape both are checked against.
 */
export const VOICEMAIL_URI_PATTERN = /^sips?:([^@\s<>";?]+@)?[A-Za-z0-9.\-[\]:]+(;[^\s<>"?]*)?$/;

/** Validates `[voicemail]` (absent: no voicemail). */
export function parseVoicemailConfig(raw: unknown): VoicemailConfig {
  const v = table(raw, 'voicemail', {
    uri: (x, key) => (x === null ? undefined : str({ pattern: VOICEMAIL_URI_PATTERN, hint: 'a SIP URI such as "sip:vm@192.0.2.5:5070"' })(x, key)),
    on_busy: bool, on_no_answer: bool, no_answer_seconds: int(5, 120),
  }, VM_DEFAULTS);
  return { uri: v.uri, onBusy: v.on_busy, onNoAnswer: v.on_no_answer, noAnswerSeconds: v.no_answer_seconds };
}
