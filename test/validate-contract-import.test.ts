// `vigil contract import` reads one ODCS contract: a file of several documents is refused by name, at the second.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, expect, it } from 'vitest';
import { registerContract } from '../controller/src/cli/commands/contract.js';
import { InputError, UsageError } from '../controller/src/cli/terminal.js';
import { captureOutput } from './support/cli-output.js';

const ENCOUNTERS = join(import.meta.dirname, 'fixtures', 'datacontract', 'encounters.odcs.yaml');
const dir = mkdtempSync(join(tmpdir(), 'vigil-contract-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const output = captureOutput();

/** `vigil contract ...` as the CLI's entry point runs it, errors mapped to exit codes and messages. */
async function vigil(...args: string[]): Promise<number> {
  const program = new Command('vigil').exitOverride();
  registerContract(program);
  try {
    await program.parseAsync(['node', 'vigil', ...args]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return 2;
    if (e instanceof UsageError || e instanceof InputError) {
      process.stderr.write(`vigil: ${e.message}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

it('refuses a file of two contracts, naming the problem at the second document', async () => {
  const contract = readFileSync(ENCOUNTERS, 'utf8');
  const file = join(dir, 'two-contracts.odcs.yaml');
  writeFileSync(file, `${contract.trimEnd()}\n---\n${contract}`);
  const second = contract.trimEnd().split('\n').length + 1; // its `---`
  expect(await vigil('contract', 'import', file)).toBe(1);
  expect(output.out).toBe('');
  expect(output.err).toBe(
    `${file}:${second}:1: error: expected one document in this file, found 2 (hint: an ODCS file holds one contract; put each in its own file and import them one by one)\n` +
      `vigil: ${file}: not imported (1 error)\n`,
  );
});

it('still imports a file of one contract that starts with a document marker', async () => {
  const file = join(dir, 'one-contract.odcs.yaml');
  writeFileSync(file, `---\n${readFileSync(ENCOUNTERS, 'utf8')}`);
  const code = await vigil('contract', 'import', file, '--namespace', 'readmission');
  expect(output.err).toBe('');
  expect(code).toBe(0);
  expect(output.out).toContain('kind: DataContract');
});
