import { ApplianceError } from '../../system/errors/index.ts';

/** A command line split into positional words and `--flag value` options. */
export interface ParsedArgs {
  readonly positional: string[];
  readonly options: Map<string, string>;
}

/** Splits argv; every `--name` takes the next word as its value (`--name=value` works too). */
export function parseArgs(argv: readonly string[], flagsWithoutValue: readonly string[] = ['--help']): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) {
        options.set(a.slice(0, eq), a.slice(eq + 1));
      } else if (flagsWithoutValue.includes(a)) {
        options.set(a, 'true');
      } else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new ApplianceError('usage', `${a} needs a value`);
        options.set(a, v);
        i++;
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, options };
}

/** Fails on options the command does not know, naming them. */
export function onlyOptions(args: ParsedArgs, allowed: readonly string[]): void {
  for (const k of args.options.keys()) {
    if (!allowed.includes(k)) throw new ApplianceError('usage', `unknown option ${k}`);
  }
}
