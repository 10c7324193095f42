// The caffets command line: Caffe's tools as subcommands, gflags syntax accepted, one-line errors.
import yargs from 'yargs';
import { COMMANDS, CommandSpec, Args, notBuilt } from './commands';
import { normalizeGflags } from './gflags';
import { CaffeError } from '../util/errors';
import { setLogSink } from '../util/logging';
import { nearestName } from '../util/strings';

const VERSION: string = require('../../package.json').version;

function booleanFlags(): Set<string> {
  const s = new Set<string>();
  for (const c of COMMANDS) for (const [k, o] of Object.entries(c.options ?? {})) if (o.type === 'boolean') s.add(k);
  return s;
}

function fail(msg: string, code = 1): never {
  throw new CaffeError(msg, code);
}

async function runSpec(spec: CommandSpec, args: Args): Promise<number> {
  if (!spec.run) notBuilt(spec);
  return spec.run(args);
}

/** A first argument that is no command: one line naming the commands and the nearest one. */
function checkCommand(first: string | undefined): void {
  if (first === undefined || first.startsWith('-') || COMMANDS.some((c) => c.name === first)) return;
  const names = COMMANDS.map((c) => c.name);
  const near = nearestName(first, names);
  fail(
    `unknown command '${first}'${near ? ` (did you mean '${near}'?)` : ''}; ` +
      `the commands are ${names.join(', ')} (see caffets --help)`,
  );
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  checkCommand(argv[0]);
  let code = 0;
  const parser = yargs(normalizeGflags(argv, booleanFlags()))
    .scriptName('caffets')
    .usage(
      'caffets <command> [flags]\n\nCaffe-compatible deep learning toolchain. ' +
        "Flags take Caffe's forms: --flag=value, --flag value, -flag value, -flag=value.",
    )
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': true })
    .demandCommand(1, 'no command given (see caffets --help)')
    .fail((msg, err) => {
      if (err) throw err;
      fail(msg);
    });
  for (const spec of COMMANDS) {
    parser.command(
      `${spec.name}${spec.positionals ? ' ' + spec.positionals : ''}`,
      spec.describe + (spec.run ? '' : ' [not built yet]'),
      (y) => y.options(spec.options ?? {}),
      async (args) => {
        code = await runSpec(spec, args as Args);
      },
    );
  }
  await parser.parseAsync();
  return code;
}

/** Entry point of bin/caffets: user errors print one line and exit non-zero, bugs keep their stack.
 *  The error is the last line: log lines still queued (a prefetch worker's) are dropped after it. */
export function main(argv: string[]): Promise<void> {
  return run(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      setLogSink(() => undefined);
      if (e instanceof CaffeError) {
        if (e.message) process.stderr.write(`caffets: ${e.message}\n`); // none: said by another process

        process.exitCode = e.exitCode;
      } else {
        process.stderr.write(`caffets: internal error (please report): ${(e as Error)?.stack ?? e}\n`);
        process.exitCode = 70;
      }
    },
  );
}
