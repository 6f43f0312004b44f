import { ApplianceError } from '../../system/errors/index.ts';
import { onlyOptions } from './cli-args.ts';
import type { CliCommand } from './command.ts';
import { editOutsideLine, viewOutsideLine } from './outside-line-tell.ts';

/**
 * `route list|add|change|remove` (docs/TRUNKS.md): the outbound dial plan, the config file's
 * routes first (fixed), then the ones added here (in the store), first match wins.
 */
export const routeCommand: CliCommand = {
  name: 'route',
  usage: [
    'route list',
    'route add <name> --pattern <regex> --trunk <trunk> --class internal|local|national|international|premium [--replace <$1...>] [--failover <trunk,trunk>]',
    'route change <name> [the same options]',
    'route remove <name>',
  ].join('\n'),
  async run(args, config, io) {
    const [, verb, name, extra] = args.positional;
    if (extra !== undefined) throw new ApplianceError('usage', `unexpected argument "${extra}"`);
    if (verb === 'list') {
      onlyOptions(args, ['--config']);
      const line = viewOutsideLine(config);
      if (line.routes.length === 0) io.out('no routes');
      line.routes.forEach((r, i) => io.out([String(i + 1), r.name, r.pattern, r.replace, r.trunk, r.class, r.failover.join(',') || '-', line.origins.routes.get(r.name)?.from ?? 'config'].join('\t')));
      return;
    }
    if (verb !== 'add' && verb !== 'change' && verb !== 'remove') throw new ApplianceError('usage', `unknown route command "${verb ?? ''}"`);
    if (!name) throw new ApplianceError('usage', `route ${verb} needs a route name`);
    await editOutsideLine(config, io, (service) => {
      if (verb === 'remove') {
        onlyOptions(args, ['--config']);
        service.removeRoute(name);
        io.out(`removed route ${name}`);
        return;
      }
      onlyOptions(args, ['--config', '--pattern', '--trunk', '--class', '--replace', '--failover']);
      const failover = args.options.get('--failover')?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const input = { name, pattern: args.options.get('--pattern'), trunk: args.options.get('--trunk'), class: args.options.get('--class'), replace: args.options.get('--replace'), failover };
      if (verb === 'add') service.addRoute(input);
      else service.replaceRoute(input);
      io.out(`${verb === 'add' ? 'added' : 'changed'} route ${name}`);
    });
  },
};

/** `inbound list|add|remove`: which extension or ring group a number called on a trunk reaches. */
export const inboundCommand: CliCommand = {
  name: 'inbound',
  usage: [
    'inbound list',
    'inbound add --did <+E.164|regex|*> --trunk <trunk> --to <extension|group>',
    'inbound remove <id>      (an id from inbound list; the config file\'s are edited there)',
  ].join('\n'),
  async run(args, config, io) {
    const [, verb, id, extra] = args.positional;
    if (extra !== undefined) throw new ApplianceError('usage', `unexpected argument "${extra}"`);
    if (verb === 'list') {
      onlyOptions(args, ['--config']);
      const line = viewOutsideLine(config);
      if (line.inbound.length === 0) io.out('no inbound numbers');
      line.inbound.forEach((n, i) => {
        const o = line.origins.inbound[i];
        io.out([o.from === 'store' ? String(o.id) : '-', n.did, n.trunk, n.to, o.from].join('\t'));
      });
      return;
    }
    if (verb === 'add') {
      onlyOptions(args, ['--config', '--did', '--trunk', '--to']);
      if (id !== undefined) throw new ApplianceError('usage', `unexpected argument "${id}"`);
      await editOutsideLine(config, io, (service) => {
        const added = service.addInbound({ did: args.options.get('--did'), trunk: args.options.get('--trunk'), to: args.options.get('--to') });
        io.out(`added inbound number ${added}`);
      });
      return;
    }
    if (verb !== 'remove') throw new ApplianceError('usage', `unknown inbound command "${verb ?? ''}"`);
    onlyOptions(args, ['--config']);
    if (!id || !/^[0-9]{1,12}$/.test(id)) throw new ApplianceError('usage', 'inbound remove needs an id (inbound list)');
    await editOutsideLine(config, io, (service) => {
      service.removeInbound(Number(id));
      io.out(`removed inbound number ${id}`);
    });
  },
};
