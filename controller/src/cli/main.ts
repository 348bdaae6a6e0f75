// The `vigil` command (also `kubectl vigil`). Each subcommand lives in commands/<name>.ts.
import { Command, CommanderError } from 'commander';
import { CredentialError } from '../forge/github/credentials.js';
import { redact } from '../forge/github/redact.js';
import { clusterUnreachableMessage, unreachableServer } from '../runtime/cluster-errors.js';
import { explainCommanderError, redactCommandLine } from './credential-flags.js';
import { InputError, UsageError } from './terminal.js';

export const VERSION = '0.1.0';

type Register = (program: Command) => void;

// Loaded only for the command being run (all of them for help or a mistyped name): between them they bring in
// the Kubernetes client, octokit and DuckDB, which `vigil validate` has no use for.
const COMMANDS: readonly (readonly [name: string, load: () => Promise<Register>])[] = [
  ['start', async () => (await import('./commands/start.js')).registerStart],
  ['validate', async () => (await import('./commands/validate.js')).registerValidate],
  ['contract', async () => (await import('./commands/contract.js')).registerContract],
  ['local-cluster', async () => (await import('./commands/local-cluster.js')).registerLocalCluster],
  ['controller', async () => (await import('./commands/controller.js')).registerController],
  ['forge', async () => (await import('./commands/forge.js')).registerForge],
  ['promote', async () => (await import('./commands/promote.js')).registerPromote],
  ['audit', async () => (await import('./commands/audit.js')).registerAudit],
  ['surveillance', async () => (await import('./commands/surveillance.js')).registerSurveillance],
  ['simulate', async () => (await import('./commands/simulate.js')).registerSimulate],
];

/** The program with the subcommand `argv` names, or with every subcommand when it names none. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('vigil')
    .description(
      'Change control for clinical and operational AI: validate governance YAML, run the controller, and keep the record.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const named = COMMANDS.find(([name]) => name === argv[2]);
  const registers = await Promise.all((named ? [named] : COMMANDS).map(([, load]) => load()));
  for (const register of registers) register(program);
  for (const cmd of everyCommand(program)) {
    cmd.exitOverride();
    // Commander echoes what it could not parse; that may be a token typed where it does not belong.
    cmd.configureOutput({ outputError: (str, write) => write(explainCommanderError(cmd, str)) });
  }
  return program;
}

function everyCommand(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(everyCommand)];
}

/** Run the CLI and return the exit code: 0 ok, 1 invalid input, 2 usage error. */
export async function run(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
    // A usage error quotes what was typed, which may be a token typed in the wrong place.
    process.stderr.write(`vigil: ${redactCommandLine(err.message)}\n`);
    return 2;
  }
  if (err instanceof InputError || err instanceof CredentialError || isClusterError(err)) {
    process.stderr.write(`vigil: ${redact(err.message)}\n`);
    return 1;
  }
  // A cluster call no command wrapped: still the person's setup, not a bug, so no stack.
  const unreachable = unreachableServer(err);
  if (unreachable) {
    process.stderr.write(`vigil: ${redact(clusterUnreachableMessage(unreachable))}\n`);
    return 1;
  }
  // A bug, not a user's mistake: keep the stack.
  process.stderr.write(
    `vigil: internal error: ${redact(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`,
  );
  return 70;
}

// By name, so that `vigil validate` does not load the Kubernetes client to check an error it never throws.
const CLUSTER_ERRORS = new Set([
  'KubeConfigError',
  'ClusterConfigError',
  'ClusterUnreachableError',
  'NamespaceNotFoundError',
]);

function isClusterError(err: unknown): err is Error {
  return err instanceof Error && CLUSTER_ERRORS.has(err.name);
}
