// The `vigil` command (also `kubectl vigil`). Each subcommand lives in commands/<name>.ts.
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.js';
import { registerContract } from './commands/contract.js';
import { registerController } from './commands/controller.js';
import { registerForge } from './commands/forge.js';
import { registerLocalCluster } from './commands/local-cluster.js';
import { registerPromote } from './commands/promote.js';
import { registerStart } from './commands/start.js';
import { registerValidate } from './commands/validate.js';
import { InputError, UsageError } from './terminal.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('vigil')
    .description(
      'Change control for clinical and operational AI: validate governance YAML, run the controller, and keep the record.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStart(program);
  registerValidate(program);
  registerContract(program);
  registerLocalCluster(program);
  registerController(program);
  registerForge(program);
  registerPromote(program);
  registerAudit(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Run the CLI and return the exit code: 0 ok, 1 invalid input, 2 usage error. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has already printed help or the usage message.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    if (err.code === 'commander.help') return 0;
    return 2;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`vigil: ${err.message}\n`);
    return 2;
  }
  if (err instanceof InputError) {
    process.stderr.write(`vigil: ${err.message}\n`);
    return 1;
  }
  // A bug, not a user's mistake: keep the stack.
  process.stderr.write(
    `vigil: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 70;
}
