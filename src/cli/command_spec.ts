// What a caffets subcommand is: Caffe's tool name, flags (gflags names and defaults) and positionals,
// and a handler returning the process exit code. Handlers import their API module when they run, so a
// command loads only what it uses.
import type { Options } from 'yargs';
import { CaffeError } from '../util/errors';

export type Args = { [key: string]: unknown; _: (string | number)[] };

export interface CommandSpec {
  name: string;
  /** positionals as yargs spells them: '<in> <out>', '[output]' */
  positionals?: string;
  describe: string;
  options?: Record<string, Options>;
  /** what to run; absent = not built yet */
  run?: (args: Args) => number | Promise<number>;
  /** the issue that brings a command not built yet */
  comesWith?: string;
}

/** An argument as a string (positionals and string flags). */
export const str = (a: Args, k: string) => String(a[k]);

export function notBuilt(spec: CommandSpec): never {
  throw new CaffeError(
    `caffets ${spec.name}: not implemented yet (it comes with ${spec.comesWith ?? 'a later release'})`,
    2,
  );
}
