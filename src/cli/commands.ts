// Every caffets subcommand, in the order `--help` lists them. Commands whose engine has not landed yet
// say so and exit 2.
import { CAFFE_COMMANDS } from './caffe_commands';
import { CommandSpec } from './command_spec';
import { TOOL_COMMANDS } from './tool_commands';

export type { Args, CommandSpec } from './command_spec';
export { notBuilt } from './command_spec';

export const COMMANDS: CommandSpec[] = [...CAFFE_COMMANDS, ...TOOL_COMMANDS];
