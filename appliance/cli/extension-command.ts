import { ApplianceError } from '../../system/errors/index.ts';
import { openStore } from '../../system/store/index.ts';
import { ExtensionService } from '../admin/extension-service.ts';
import { onlyOptions } from './cli-args.ts';
import { ARGV_PASSWORD_WARNING, readSecret } from './read-secret.ts';
import { askRunningAppliance } from './control-client.ts';
import type { CliCommand } from './command.ts';
import { runFeatureVerb } from './extension-features-verbs.ts';
import { outsideForwardCheck } from '../admin/outside-forward-check.ts';
import { voicemailUriCheck } from '../admin/voicemail-uri-check.ts';

/** `extension add|list|remove`: works on the store whether or not the appliance runs (WAL). */
export const extensionCommand: CliCommand = {
  name: 'extension',
  usage: [
    'extension add <number> --password - [--name <display>] [--e164 <+number>] [--digest <policy>]   (- reads the password from stdin)',
    'extension digest <number> <default|md5|both|sha-256>   (digest algorithms its phones are challenged with)',
    'extension permit <number> [--class internal|local|national|international|premium] [--max-calls <n>] [--per-hour <n>] [--caller-id <+number>|none]',
    'extension forward <number> always|busy|noanswer|unreachable <extension|group|outside number>|off [--after <s>]',
    'extension voicemail <number> <sip-uri>|off   (its own voicemail server instead of [voicemail] uri)',
    'extension dnd <number> on|off',
    'extension list',
    'extension remove <number>',
  ].join('\n'),
  async run(args, config, io) {
    const [, verb, number, ...more] = args.positional;
    const policy = verb === 'digest' ? more.shift() : undefined;
    const rest = more;
    if (verb === 'forward' || verb === 'dnd' || verb === 'voicemail') {
      const store = openStore(config.dataDir);
      try {
        runFeatureVerb(verb, number === undefined ? [] : [number, ...rest], args, store, io, outsideForwardCheck(config, store), voicemailUriCheck(config, store));
      } finally {
        store.close();
      }
      return;
    }
    if (rest.length > 0) throw new ApplianceError('usage', `unexpected argument "${rest[0]}"`);
    const store = openStore(config.dataDir);
    try {
      const service = new ExtensionService(store, config.sip.domain, config.emergency.numbers);
      switch (verb) {
        case 'add': {
          onlyOptions(args, ['--config', '--password', '--name', '--e164', '--digest']);
          if (!number) throw new ApplianceError('usage', 'extension add needs a number');
          let password = args.options.get('--password');
          if (password === '-') password = await readSecret('password');
          else if (password !== undefined) io.err(ARGV_PASSWORD_WARNING);
          const rec = service.add({
            number,
            password,
            displayName: args.options.get('--name'),
            e164: args.options.get('--e164') ?? null,
            digest: args.options.get('--digest'),
          });
          io.out(`added extension ${rec.number}${rec.displayName ? ` (${rec.displayName})` : ''} in domain ${rec.realm}`);
          return;
        }
        case 'list': {
          onlyOptions(args, ['--config']);
          const list = service.list();
          if (list.length === 0) io.out('no extensions');
          for (const e of list) {
            const learnt = service.learntSha256(e.number);
            io.out([e.number, e.displayName || '-', e.e164 ?? '-', e.realm, `digest=${e.digest}${learnt.length ? ` (SHA-256 learnt: ${learnt.join(', ')})` : ''}`, `calls=${e.callClass}`].join('\t'));
          }
          return;
        }
        case 'permit': {
          onlyOptions(args, ['--config', '--class', '--max-calls', '--per-hour', '--caller-id']);
          if (!number) throw new ApplianceError('usage', 'extension permit needs a number');
          const n = (k: string) => {
            const v = args.options.get(k);
            if (v === undefined) return undefined;
            if (!/^\d{1,4}$/.test(v)) throw new ApplianceError('usage', `${k} needs a whole number`);
            return Number(v);
          };
          const callerId = args.options.get('--caller-id');
          const rec = service.update({
            number, callClass: args.options.get('--class'), maxOutsideCalls: n('--max-calls'), outsideCallsPerHour: n('--per-hour'),
            outboundCallerId: callerId === undefined ? undefined : callerId === 'none' ? null : callerId,
          });
          io.out(`extension ${rec.number}: calls up to ${rec.callClass}, ${rec.maxOutsideCalls} outside calls at once, ${rec.outsideCallsPerHour} an hour, caller ID ${rec.outboundCallerId ?? "the trunk's"}`);
          return;
        }
        case 'digest': {
          onlyOptions(args, ['--config']);
          if (!number || !policy) throw new ApplianceError('usage', 'extension digest needs a number and one of default, md5, both, sha-256');
          const rec = service.update({ number, digest: policy });
          io.out(`extension ${rec.number}: digest ${rec.digest} (what its phones proved before is forgotten)`);
          return;
        }
        case 'remove': {
          onlyOptions(args, ['--config']);
          if (!number) throw new ApplianceError('usage', 'extension remove needs a number');
          service.remove(number);
          io.out(`removed extension ${number}`);
          // A running appliance drops its phones' bindings at once (every worker, the peers);
          // a stopped one does so when it starts (connection-control.ts).
          const told = await askRunningAppliance(config, '/control/store-changed');
          if (told.reached && told.status === 200) io.out('its phones were unregistered on the running appliance');
          else io.out(`the appliance was not told (${told.reached ? `answer ${told.status}` : told.reason}); its phones are unregistered when it starts`);
          return;
        }
        default:
          throw new ApplianceError('usage', `unknown extension command "${verb ?? ''}"`);
      }
    } finally {
      store.close();
    }
  },
};
