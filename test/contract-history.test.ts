// A data contract's previous version comes from git history: `vigil validate --base REF` in the governance
// repository's CI, and `vigil contract diff REF:path path` by hand. Played out in a real temporary git repository
// holding the care-management examples, with the CLI's commands as a person runs them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { registerContract } from '../controller/src/cli/commands/contract.js';
import { registerValidate } from '../controller/src/cli/commands/validate.js';
import { InputError, UsageError } from '../controller/src/cli/terminal.js';
import { exportOdcs } from '../controller/src/kinds/datacontract/odcs.js';
import { DataContract } from '../specs/datacontract.js';
import { captureOutput } from './support/cli-output.js';

const ROOT = resolve(import.meta.dirname, '..');
const CONTRACT = 'care-management/inpatient-encounters.yaml';

let repo: string;
let cwd: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Data Engineer', '-c', 'user.email=data-eng@example.org', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'vigil-history-'));
  cpSync(join(ROOT, 'examples/care-management'), join(repo, 'care-management'), { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'The care-management governance YAML');
  cwd = process.cwd();
  process.chdir(repo);
});

afterAll(() => {
  process.chdir(cwd);
  rmSync(repo, { recursive: true, force: true });
});

const output = captureOutput();
beforeEach(() => {
  process.exitCode = undefined;
  git('checkout', '-q', '--', '.');
});

/** `vigil ...` as the entry point runs it: the exit code it would end with. */
async function vigil(...args: string[]): Promise<number> {
  const program = new Command('vigil').exitOverride();
  registerValidate(program);
  registerContract(program);
  try {
    await program.parseAsync(['node', 'vigil', ...args]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.code.startsWith('commander.help') ? 0 : 2;
    if (e instanceof UsageError || e instanceof InputError) {
      process.stderr.write(`vigil: ${e.message}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

function edit(path: string, ...edits: [string, string][]): void {
  let text = readFileSync(join(repo, path), 'utf8');
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`${from} not in ${path}`);
    text = text.replace(from, to);
  }
  writeFileSync(join(repo, path), text);
}
const tightenStay: [string, string] = [
  'logicalTypeOptions: { minimum: 1, maximum: 14 }',
  'logicalTypeOptions: { minimum: 1, maximum: 10 }',
];
const lineOf = (path: string, text: string) =>
  readFileSync(join(repo, path), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

describe('vigil validate --base', () => {
  it('fails a breaking change that keeps the major version, at the version field', async () => {
    edit(CONTRACT, tightenStay, ['version: "1.2.0"', 'version: "1.3.0"']);
    expect(await vigil('validate', 'care-management', '--base', 'main')).toBe(1);
    const line = lineOf(CONTRACT, 'version: "1.3.0"');
    expect(output.out).toContain(
      `care-management/inpatient-encounters.yaml:${line}:12: error: spec.version: DataContract care-management/inpatient-encounters breaks its consumers against main (maximum of "encounters.time_in_hospital" tightened from 14 to 10) but its version goes from 1.2.0 to 1.3.0: a breaking change needs a new major version (hint: version: "2.0.0")`,
    );
    // The breaking change itself, where it is written, with the use cases it affects.
    const at = lineOf(CONTRACT, 'maximum: 10');
    expect(output.out).toContain(
      'DataContract care-management/inpatient-encounters 1.2.0 -> 1.3.0: 1 breaking change against main (consumers: care-management/readmission-risk)',
    );
    expect(output.out).toMatch(new RegExp(`inpatient-encounters\\.yaml:${at}:\\d+: range-narrowed: maximum`));
    expect(output.out).toContain('invalid: 1 error');
  });

  it('passes a breaking change with a new major version, and still lists it', async () => {
    edit(CONTRACT, tightenStay, [
      'version: "1.2.0"\n  previousVersion: "1.1.0"',
      'version: "2.0.0"\n  previousVersion: "1.2.0"',
    ]);
    expect(await vigil('validate', 'care-management', '--base', 'main', '-o', 'json')).toBe(0);
    const report = JSON.parse(output.out);
    expect(report.valid).toBe(true);
    expect(report.base).toMatchObject({ ref: 'main', compared: 1 });
    expect(report.base.contracts).toEqual([
      expect.objectContaining({
        name: 'inpatient-encounters',
        from: '1.2.0',
        to: '2.0.0',
        majorBump: true,
        consumers: ['care-management/readmission-risk'],
        breaking: [
          expect.objectContaining({
            kind: 'range-narrowed',
            path: 'schema[0].properties[8].logicalTypeOptions.maximum',
          }),
        ],
      }),
    ]);
  });

  it('compares with history, not with the work tree: a change committed since the base still counts', async () => {
    edit(CONTRACT, [
      'phi: quasi-identifier\n          quality:\n            - metric: invalidValues\n              arguments: { validValues: ["Female"',
      'phi: sensitive\n          quality:\n            - metric: invalidValues\n              arguments: { validValues: ["Female"',
    ]);
    git('checkout', '-q', '-b', 'lower-phi');
    git('commit', '-q', '-am', 'Gender is sensitive, not a quasi-identifier');
    try {
      expect(await vigil('validate', 'care-management', '--base', 'main')).toBe(1);
      expect(output.out).toContain(
        'phi-lowered: PHI class of "encounters.gender" lowered from quasi-identifier to sensitive',
      );
      // Against itself, nothing breaks.
      output.out = '';
      expect(await vigil('validate', 'care-management', '--base', 'HEAD')).toBe(0);
      expect(output.out).toContain('compared 1 DataContract with HEAD');
    } finally {
      git('checkout', '-q', 'main');
    }
  });

  it('passes a change that breaks nothing', async () => {
    edit(CONTRACT, [
      'description: "Administrative sex."',
      'description: "Administrative sex, as registered."',
    ]);
    expect(await vigil('validate', 'care-management', '--base', 'main')).toBe(0);
    expect(output.out).not.toContain('breaking change');
  });

  it('compares nothing where the base holds no contract', async () => {
    expect(await vigil('validate', 'care-management/clinical-quarterly.yaml', '--base', 'main')).toBe(0);
    expect(output.out).toContain('compared 0 DataContracts with main');
  });

  it('says in one line when the ref names no commit', async () => {
    expect(await vigil('validate', 'care-management', '--base', 'no-such-branch')).toBe(1);
    expect(output.err.trim().split('\n')).toEqual([
      `vigil: --base no-such-branch: "no-such-branch" names no commit in the repository at ${process.cwd()}`,
    ]);
  });
});

describe('vigil contract diff', () => {
  it('diffs the committed contract with the edited one: breaking change, old -> new, consumers, exit 1', async () => {
    edit(CONTRACT, tightenStay, ['description: "Administrative sex."', 'description: "Sex as registered."']);
    expect(await vigil('contract', 'diff', `main:${CONTRACT}`, CONTRACT)).toBe(1);
    const lines = output.out.split('\n');
    expect(lines[0]).toBe('inpatient-encounters 1.2.0 -> 1.2.0: 1 breaking change of 2');
    expect(lines[2]).toMatch(/^BREAKING +KIND +PATH +OLD -> NEW +CONSUMERS +CHANGE$/);
    expect(lines[3]).toMatch(
      /^yes +range-narrowed +schema\[0\]\.properties\[8\]\.logicalTypeOptions\.maximum +14 -> 10 +care-management\/readmission-risk +maximum of "encounters.time_in_hospital" tightened from 14 to 10$/,
    );
    expect(lines[4]).toMatch(
      /^no +changed +schema\[0\]\.properties\[3\]\.description +"Administrative sex\." -> "Sex as registered\." +- +/,
    );
    expect(output.out).toContain(
      'A breaking change needs a new major version; the version goes from 1.2.0 to 1.2.0',
    );
    expect(output.out).toContain('Sign-off needed from the owner team of: care-management/readmission-risk.');
  });

  it('exits 0 when nothing breaks, and reads ODCS documents as well', async () => {
    const contract = DataContract.parse(parse(readFileSync(join(repo, CONTRACT), 'utf8')));
    const widened = structuredClone(contract);
    widened.spec.schema![0]!.properties![8]!.logicalTypeOptions = { minimum: 1, maximum: 30 };
    writeFileSync(join(repo, 'v1.odcs.yaml'), stringify(exportOdcs(contract)));
    writeFileSync(join(repo, 'v2.odcs.yaml'), stringify(exportOdcs(widened)));
    try {
      expect(await vigil('contract', 'diff', 'v1.odcs.yaml', 'v2.odcs.yaml', '-o', 'json')).toBe(0);
      const report = JSON.parse(output.out);
      // ODCS carries no namespace: the consumer is named as the contract names it.
      expect(report).toMatchObject({ breaking: 0, consumers: ['readmission-risk'] });
      expect(report.changes).toEqual([
        {
          path: 'schema[0].properties[8].logicalTypeOptions.maximum',
          kind: 'changed',
          breaking: false,
          from: 14,
          to: 30,
          message: 'schema[0].properties[8].logicalTypeOptions.maximum changed from 14 to 30',
          consumers: [],
        },
      ]);
    } finally {
      rmSync(join(repo, 'v1.odcs.yaml'));
      rmSync(join(repo, 'v2.odcs.yaml'));
    }
  });

  it('refuses a path that is neither a file nor in history, in one line', async () => {
    expect(await vigil('contract', 'diff', 'main:care-management/missing.yaml', CONTRACT)).toBe(1);
    expect(output.err.trim()).toBe(
      'vigil: cannot read main:care-management/missing.yaml: main has no file care-management/missing.yaml',
    );
    output.err = '';
    expect(await vigil('contract', 'diff', 'nowhere.yaml', CONTRACT)).toBe(1);
    expect(output.err.trim()).toBe(
      'vigil: cannot read nowhere.yaml: no such file (for a file in git history, write REF:path)',
    );
  });
});
