import type { ApplianceConfig } from '../../system/config/index.ts';
import type { ParsedArgs } from './cli-args.ts';

/** What a CLI command can write to; tests capture it. */
export interface CliOutput {
  out(line: string): void;
  /** Warnings and errors (stderr). */
  err(line: string): void;
}

/** One admin command group on the entry point (`extension ...`, `dns ...`). */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  /** Its options that take no value (`--dry-run`); every other `--name` takes the next word. */
  readonly flags?: readonly string[];
  run(args: ParsedArgs, config: ApplianceConfig, io: CliOutput): void | Promise<void>;
}
