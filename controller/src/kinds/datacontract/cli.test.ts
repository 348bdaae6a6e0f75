import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { captureOutput } from '../../../../test/support/cli-output.js';
import { registerContract } from '../../cli/commands/contract.js';
import { InputError, UsageError } from '../../cli/terminal.js';
import { validateOdcs } from './odcs.js';

const ROOT = join(import.meta.dirname, '../../../..');
const ENCOUNTERS = join(ROOT, 'test/fixtures/datacontract/encounters.odcs.yaml');
const EXAMPLE = join(ROOT, 'test/fixtures/datacontract/odcs-examples/quality-column-validity.odcs.yaml');

const output = captureOutput();

/** Run `vigil contract ...` the way the CLI's entry point does, mapping errors to exit codes. */
async function vigil(...args: string[]): Promise<number> {
  const program = new Command('vigil').exitOverride();
  registerContract(program);
  try {
    await program.parseAsync(['node', 'vigil', ...args]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError)
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    if (e instanceof UsageError || e instanceof InputError) {
      process.stderr.write(`vigil: ${e.message}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

// Every directory a test makes is removed once the file's tests are done.
const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-contract-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('vigil contract import', () => {
  it('prints the DataContract as YAML with a schema modeline', async () => {
    expect(await vigil('contract', 'import', ENCOUNTERS, '--namespace', 'readmission')).toBe(0);
    expect(output.err).toBe('');
    expect(output.out).toMatch(/^# yaml-language-server: \$schema=https:\/\/.*\/datacontract\.json\n/);
    const dc = parse(output.out);
    expect(dc).toMatchObject({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'DataContract',
      metadata: { name: 'inpatient-encounters', namespace: 'readmission' },
      spec: { id: 'inpatient-encounters', ownerTeam: 'northwind-health/data-platform' },
    });
  });

  it('prints JSON with -o json', async () => {
    expect(await vigil('contract', 'import', ENCOUNTERS, '-o', 'json', '--name', 'encounters')).toBe(0);
    expect(JSON.parse(output.out).metadata.name).toBe('encounters');
  });

  it('warns on stderr for each unclassified property and still imports', async () => {
    expect(await vigil('contract', 'import', EXAMPLE, '--owner-team', 'northwind-health/data-platform')).toBe(
      0,
    );
    expect(output.err).toMatch(
      /quality-column-validity\.odcs\.yaml:\d+:\d+: warning: schema\[0\]\.properties\[0\]\.name: property "air_quality_status" has no PHI classification/,
    );
    expect(parse(output.out).spec.schema[0].properties[0].phi).toBe('sensitive');
  });

  it('exits 1 with file:line:col diagnostics for an invalid contract', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.odcs.yaml');
    writeFileSync(
      file,
      'apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\nschema:\n  - name: t\n    colour: red\n',
    );
    expect(await vigil('contract', 'import', file, '--owner-team', 'a/b')).toBe(1);
    expect(output.err).toContain(`${file}:8:5: error: schema[0].colour: unknown field "colour"`);
    expect(output.err).toContain(`vigil: ${file}: not imported (1 error)`);
    expect(output.err).not.toMatch(/\n\s+at /); // no stack
    expect(output.out).toBe('');
  });

  it('exits 1 when the file cannot be read', async () => {
    expect(await vigil('contract', 'import', '/nonexistent/x.odcs.yaml')).toBe(1);
    expect(output.err).toBe('vigil: cannot read /nonexistent/x.odcs.yaml: no such file\n');
  });

  it.each([
    [['contract', 'import'], /missing required argument/],
    [
      ['contract', 'import', ENCOUNTERS, '-o', 'table'],
      /-o\/--output must be one of yaml, json; got "table"/,
    ],
    [
      ['contract', 'import', ENCOUNTERS, '--default-phi', 'low'],
      /--default-phi must be one of none, sensitive/,
    ],
    [['contract', 'import', ENCOUNTERS, '--bogus'], /unknown option '--bogus'/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    expect(await vigil(...args)).toBe(2);
    expect(output.err).toMatch(message);
  });

  it('has help', async () => {
    expect(await vigil('contract', 'import', '--help')).toBe(0);
    expect(output.out).toMatch(/Usage: vigil contract import \[options\] <file>/);
    expect(output.out).toMatch(/--default-phi/);
  });
});

describe('vigil contract export', () => {
  it('prints ODCS that validates, and round-trips through import', async () => {
    const dir = tmp();
    expect(await vigil('contract', 'import', ENCOUNTERS)).toBe(0);
    const dcFile = join(dir, 'encounters.yaml');
    writeFileSync(dcFile, output.out);
    const imported = parse(output.out);

    output.out = '';
    expect(await vigil('contract', 'export', dcFile)).toBe(0);
    const odcs = parse(output.out);
    expect(odcs).toMatchObject({ apiVersion: 'v3.1.0', kind: 'DataContract', id: 'inpatient-encounters' });
    expect(validateOdcs(odcs)).toEqual([]);

    const odcsFile = join(dir, 'again.odcs.yaml');
    writeFileSync(odcsFile, output.out);
    output.out = '';
    expect(await vigil('contract', 'import', odcsFile)).toBe(0);
    expect(parse(output.out)).toEqual(imported);
  });

  it('exits 1 with the located problem for an invalid DataContract', async () => {
    const dir = tmp();
    const file = join(dir, 'dc.yaml');
    await vigil('contract', 'import', ENCOUNTERS);
    writeFileSync(file, output.out.replace('phi: direct-identifier', 'phi: identifier'));
    output.out = '';
    expect(await vigil('contract', 'export', file)).toBe(1);
    expect(output.err).toMatch(
      new RegExp(
        `${file}:\\d+:\\d+: error: spec\\.schema\\[0\\]\\.properties\\[0\\]\\.phi: must be one of none, sensitive, quasi-identifier, direct-identifier; found "identifier"`,
      ),
    );
    expect(output.out).toBe('');
  });

  it('points at import when given an ODCS document', async () => {
    expect(await vigil('contract', 'export', ENCOUNTERS)).toBe(1);
    expect(output.err).toMatch(
      /expected a vigil\.dev\/v1alpha1 DataContract; found v3\.1\.0 DataContract \(hint: this is an ODCS document; use `vigil contract import`/,
    );
  });

  it('has help', async () => {
    expect(await vigil('contract', 'export', '--help')).toBe(0);
    expect(output.out).toMatch(/Usage: vigil contract export \[options\] <file>/);
  });
});

describe('YAML output', () => {
  it('quotes the values a YAML 1.1 reader such as kubectl would turn into booleans', async () => {
    expect(await vigil('contract', 'import', ENCOUNTERS)).toBe(0);
    expect(output.out).toContain('- name: "Y"');
    expect(output.out).toMatch(/validValues:\n\s+- "No"\n\s+- Steady/);
  });
});
