import { ApplianceError } from '../../system/errors/index.ts';
import type { CallFeatures, Store } from '../../system/store/index.ts';
import { CallFeaturesService } from '../admin/call-features-service.ts';
import type { OutsideForwardCheck } from '../admin/outside-forward-check.ts';
import type { VoicemailUriCheck } from '../admin/voicemail-uri-check.ts';
import { onlyOptions, type ParsedArgs } from './cli-args.ts';
import type { CliOutput } from './command.ts';

/** One line describing an extension's forwards and DND. */
export function describeFeatures(f: CallFeatures): string {
  const fw = [
    f.forwardAlways && `always→${f.forwardAlways}`, f.forwardBusy && `busy→${f.forwardBusy}`,
    f.forwardNoAnswer && `noanswer→${f.forwardNoAnswer} after ${f.noAnswerSeconds} s`, f.forwardUnreachable && `unreachable→${f.forwardUnreachable}`,
  ].filter(Boolean);
  return `extension ${f.extension}: do-not-disturb ${f.dnd ? 'on' : 'off'}, forward ${fw.length ? fw.join(', ') : 'off'}${f.voicemailUri ? `, voicemail ${f.voicemailUri}` : ''}`;
}

/**
 * `extension forward <n> always|busy|noanswer|unreachable <target>|off [--after N]` and
 * `extension dnd <n> on|off`, `extension voicemail <n> <sip-uri>|off` (issue 15).
 */
export function runFeatureVerb(verb: 'forward' | 'dnd' | 'voicemail', words: readonly string[], args: ParsedArgs, store: Store, io: CliOutput,
  outside?: OutsideForwardCheck, voicemailUri?: VoicemailUriCheck): void {
  const service = new CallFeaturesService(store, outside, voicemailUri);
  const [number, ...rest] = words;
  if (verb === 'voicemail') {
    onlyOptions(args, ['--config']);
    if (!number || rest.length !== 1) throw new ApplianceError('usage', 'extension voicemail needs a number and a SIP URI or off');
    io.out(describeFeatures(service.voicemail(number, rest[0] === 'off' ? null : rest[0])));
    return;
  }
  if (verb === 'dnd') {
    onlyOptions(args, ['--config']);
    if (!number || rest.length !== 1 || (rest[0] !== 'on' && rest[0] !== 'off')) throw new ApplianceError('usage', 'extension dnd needs a number and on or off');
    io.out(describeFeatures(service.dnd(number, rest[0] === 'on')));
    return;
  }
  onlyOptions(args, ['--config', '--after']);
  const [kind, target] = rest;
  if (!number || !kind || !target || rest.length !== 2) throw new ApplianceError('usage', 'extension forward needs a number, always|busy|noanswer|unreachable and a target or off');
  const after = args.options.get('--after');
  if (after !== undefined && !/^\d{1,4}$/.test(after)) throw new ApplianceError('usage', '--after needs a whole number of seconds');
  io.out(describeFeatures(service.forward(number, kind, target === 'off' ? null : target, after === undefined ? undefined : Number(after))));
}
