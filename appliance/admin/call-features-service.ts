import { ValidationError } from '../../system/errors/index.ts';
import type { CallFeatures, CallFeaturesPatch, Store } from '../../system/store/index.ts';
import { checkNumber } from './extension-service.ts';
import { isCallTarget } from './call-target-references.ts';
import type { OutsideForwardCheck } from './outside-forward-check.ts';
import type { VoicemailUriCheck } from './voicemail-uri-check.ts';

/** The forward kinds an admin sets (issue 15). */
export type ForwardKind = 'always' | 'busy' | 'noanswer' | 'unreachable';
export const FORWARD_KINDS: readonly ForwardKind[] = ['always', 'busy', 'noanswer', 'unreachable'];

const FIELD: Record<ForwardKind, 'forwardAlways' | 'forwardBusy' | 'forwardNoAnswer' | 'forwardUnreachable'> = {
  always: 'forwardAlways', busy: 'forwardBusy', noanswer: 'forwardNoAnswer', unreachable: 'forwardUnreachable',
};

/** Call forwarding and do-not-disturb of extensions, shared by the CLI and the web API. */
export class CallFeaturesService {
  /**
   * @param outside checks outside numbers as forward targets (outside-forward-check.ts); absent: they are refused.
   * @param voicemailUri checks an extension's own voicemail server (voicemail-uri-check.ts); absent: none can be set.
   */
  constructor(private readonly store: Store, private readonly outside?: OutsideForwardCheck, private readonly voicemailUri?: VoicemailUriCheck) {}

  get(extension: string): CallFeatures {
    this.existing(extension);
    return this.store.callFeatures.get(extension);
  }

  /**
   * Sets (target) or clears (null) one forward. Targets are extensions or ring groups, never
   * the extension itself, or outside numbers the extension may call (with `outside`); `afterSeconds` (no answer only) is the ring time before forwarding.
   */
  forward(extension: string, kind: string, target: string | null, afterSeconds?: number): CallFeatures {
    const k = this.check(extension, kind, target);
    const patch: CallFeaturesPatch = { [FIELD[k]]: target };
    if (afterSeconds !== undefined) {
      if (k !== 'noanswer') throw new ValidationError('--after is for noanswer only', 'after');
      if (!Number.isInteger(afterSeconds) || afterSeconds < 5 || afterSeconds > 120) throw new ValidationError('after must be a whole number of seconds from 5 to 120', 'after');
      (patch as { noAnswerSeconds?: number }).noAnswerSeconds = afterSeconds;
    }
    const rec = this.store.callFeatures.set(extension, patch);
    this.store.events.append('admin.extension.forward', `extension ${extension}: forward ${k} ${target ?? 'off'}`, { number: extension, kind: k, target });
    return rec;
  }

  /** Validates one forward without changing anything; returns its kind. */
  check(extension: string, kind: string, target: string | null): ForwardKind {
    this.existing(extension);
    if (!(FORWARD_KINDS as readonly string[]).includes(kind)) throw new ValidationError(`invalid forward "${String(kind).slice(0, 20)}": use ${FORWARD_KINDS.join(', ')}`, 'kind');
    if (target !== null) {
      if (target === extension) throw new ValidationError('an extension cannot forward to itself', 'target');
      if (!isCallTarget(this.store, target)) {
        const shown = String(target).slice(0, 20);
        // An outside number through the dial plan, with the extension's own permissions (issue 14).
        if (typeof target !== 'string' || !/^\+?[0-9]{2,20}$/.test(target) || !this.outside) {
          throw new ValidationError(`forward target "${shown}" is neither an extension nor a ring group${this.outside ? ' nor an outside number' : ''}`, 'target');
        }
        const why = this.outside(extension, target);
        if (why) throw new ValidationError(`forward target "${shown}": ${why}`, 'target');
      }
    }
    return kind as ForwardKind;
  }

  /**
   * The extension's own voicemail server (a SIP URI), used in place of `[voicemail] uri` for its
   * unanswered and busy calls and its MWI subscriptions; null or '' goes back to the office's.
   */
  voicemail(extension: string, uri: string | null): CallFeatures {
    const value = this.checkVoicemail(extension, uri);
    const rec = this.store.callFeatures.set(extension, { voicemailUri: value });
    this.store.events.append('admin.extension.voicemail', `extension ${extension}: voicemail ${value ?? 'the office\'s'}`, { number: extension, voicemailUri: value });
    return rec;
  }

  /** Validates an extension's own voicemail URI without changing anything; returns what to store (null: the office's). */
  checkVoicemail(extension: string, uri: string | null): string | null {
    this.existing(extension);
    const value = uri === null || uri === '' ? null : uri;
    if (value !== null) {
      const why = this.voicemailUri ? this.voicemailUri(value) : 'per-extension voicemail is not available here';
      if (why) throw new ValidationError(why, 'voicemailUri');
    }
    return value;
  }

  /** Do-not-disturb on or off. */
  dnd(extension: string, on: boolean): CallFeatures {
    this.existing(extension);
    if (typeof on !== 'boolean') throw new ValidationError('dnd must be true or false', 'dnd');
    const rec = this.store.callFeatures.set(extension, { dnd: on });
    this.store.events.append('admin.extension.dnd', `extension ${extension}: do-not-disturb ${on ? 'on' : 'off'}`, { number: extension, dnd: on });
    return rec;
  }

  private existing(extension: string): void {
    checkNumber(extension);
    if (!this.store.extensions.get(extension)) throw new ValidationError(`extension ${extension} does not exist`, 'number', 'not-found');
  }
}
