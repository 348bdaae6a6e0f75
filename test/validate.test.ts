// Bad inputs a governance repo meets (CHECKLISTS.md, items 1-9 and 13): each gets its exact message and location,
// and a valid set stays valid. Runs the validator in-process over real files, and the CLI for exit codes and output.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { scanForPhi } from '../controller/src/phi/index.js';
import { type ValidationReport, validatePaths } from '../controller/src/validate/index.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'vigil-validate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SIGNOFF = `apiVersion: vigil.dev/v1alpha1
kind: SignoffPolicy
metadata:
  name: clinical-signoff
  namespace: care-management
spec:
  roles:
    - name: data-science
      team: northwind-health/data-science
    - name: clinical-safety
      team: northwind-health/clinical-safety
  requirements:
    - riskClass: clinical-decision-support
      roles: [data-science, clinical-safety]
  enforcement:
    repository: northwind-health/ai-deployments
`;

const TRAIN = `apiVersion: vigil.dev/v1alpha1
kind: ReleaseTrain
metadata:
  name: monthly
  namespace: care-management
spec:
  schedule:
    cron: "0 6 1 * *"
    timeZone: America/Chicago
  stages:
    - name: staging
      gates:
        evaluation:
          - metric: auroc
            min: 0.7
    - name: production
      gates:
        minSoak: 14d
  changeTicketPattern: "^CHG[0-9]{7}$"
`;

const USECASE = `apiVersion: vigil.dev/v1alpha1
kind: UseCase
metadata:
  name: readmission-risk
  namespace: care-management
spec:
  title: Readmission risk
  ownerTeam: northwind-health/data-science
  sponsors:
    clinical: cmio-office
    executive: coo-office
  riskClass: clinical-decision-support
  intendedUse: Flag adult inpatients at high risk of 30-day readmission for follow-up calls.
  humanOversight:
    mode: sample
    samplePercent: 20
  model:
    name: readmission-risk
    registryUri: "models:/readmission-risk"
  releaseTrain: monthly
  signoffPolicy: clinical-signoff
  deployment:
    repository: northwind-health/ai-deployments
    targets:
      - stage: staging
        file: readmission/staging.yaml
        field: model.version
      - stage: production
        file: readmission/production.yaml
        field: model.version
  candidate:
    version: "2.4.0"
    changeTicket: CHG0031245
    rollbackPlan: https://wiki.northwind-health.example/runbooks/readmission-rollback
    evaluation:
      evaluatedAt: "2026-10-30T12:00:00Z"
      results:
        - metric: auroc
          value: 0.74
`;

const SURVEILLANCE = `apiVersion: vigil.dev/v1alpha1
kind: SurveillancePolicy
metadata:
  name: readmission-surveillance
  namespace: care-management
spec:
  inferenceLog:
    uri: data/inference-log.csv
  metrics:
    - name: auroc
      kind: performance
      source:
        sql: select auroc as value, n as samples from inference_log
      baseline: 0.74
      direction: higher-is-better
      tiers:
        - at: 5
          action: notify
        - at: 10
          action: review
        - at: 15
          action: rollback
`;

const BASE = {
  'signoff.yaml': SIGNOFF,
  'train.yaml': TRAIN,
  'usecase.yaml': USECASE,
  'surveillance.yaml': SURVEILLANCE,
};
type FileName = keyof typeof BASE;

let counter = 0;
/** Write the base set with one file changed, into a fresh directory. */
function governanceRepo(changes: Partial<Record<FileName, string>> = {}): string {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries({ ...BASE, ...changes })) writeFileSync(join(dir, name), text);
  return dir;
}

/** Replace the first line containing `find` (whole line), returning the new text and the 1-based line number. */
function editLine(text: string, find: string, replacement: string): { text: string; line: number } {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.includes(find));
  if (index < 0) throw new Error(`test setup: "${find}" not in text`);
  lines[index] = replacement;
  return { text: lines.join('\n'), line: index + 1 };
}

const validateWithPhi = (dir: string) => validatePaths([dir], { phi: (doc) => scanForPhi(doc, {}) });

function only(report: ValidationReport) {
  return report.diagnostics.map((d) => ({
    file: d.file.slice(d.file.lastIndexOf('/') + 1),
    line: d.line,
    col: d.col,
    path: d.path,
    code: d.code,
    message: d.message,
    ...(d.hint ? { hint: d.hint } : {}),
  }));
}

describe('a valid governance set', () => {
  it('has no errors and counts each kind', async () => {
    const report = await validateWithPhi(governanceRepo());
    expect(report.diagnostics).toEqual([]);
    expect(report.kinds).toEqual({ SignoffPolicy: 1, ReleaseTrain: 1, UseCase: 1, SurveillancePolicy: 1 });
  });
});

describe('bad inputs, each with its exact message and location', () => {
  it('1. a duplicate key names the key, both lines, and the second one’s position', async () => {
    const { text, line } = editLine(
      USECASE,
      '  title: Readmission risk',
      '  title: Readmission risk\n  title: Readmission risk v2',
    );
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'usecase.yaml',
        line: line + 1,
        col: 3,
        path: 'spec.title',
        code: 'yaml.duplicate-key',
        message: `duplicate key "title"; first at line ${line}`,
      },
    ]);
    expect(report.documents).toBe(3); // nothing else from the file is trusted
  });

  it('2. an alias bomb is refused quickly with bounded memory', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const dir = governanceRepo();
    writeFileSync(join(dir, 'bomb.yaml'), `${levels.join('\n')}\n`);
    const heapBefore = process.memoryUsage().heapUsed;
    const report = await validateWithPhi(dir);
    // Quickly, because the expansion is cut off at a count (the alias-limit diagnostic below), not left to run;
    // its speed is the benchmark's to measure (npm run bench).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    const bomb = only(report).filter((d) => d.file === 'bomb.yaml');
    expect(bomb).toHaveLength(1);
    expect(bomb[0]).toMatchObject({ code: 'yaml.alias-limit', line: 2 });
    expect(bomb[0]!.message).toMatch(
      /^aliases expand beyond the limit \(\d+\); refusing a possible alias bomb \("billion laughs"\)$/,
    );
  });

  it('3a. a huge file gets a size error before it is parsed', async () => {
    const dir = governanceRepo();
    writeFileSync(join(dir, 'huge.yaml'), `data: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    const report = await validateWithPhi(dir);
    expect(only(report)).toEqual([
      {
        file: 'huge.yaml',
        line: 0,
        col: 0,
        path: '',
        code: 'yaml.too-large',
        message: 'file is 2 MiB; the limit is 1 MiB',
      },
    ]);
  });

  it('3b. a deeply nested document gets a depth error, not a crash', async () => {
    const dir = governanceRepo();
    writeFileSync(join(dir, 'deep.yaml'), `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const report = await validateWithPhi(dir);
    const deep = only(report);
    expect(deep).toHaveLength(1);
    expect(deep[0]).toMatchObject({
      file: 'deep.yaml',
      line: 1,
      code: 'yaml.too-deep',
      message: 'nesting is deeper than the limit of 64 levels',
    });
  });

  it('4. tabs used for indentation are named, at the tab', async () => {
    const { text, line } = editLine(USECASE, '  title: Readmission risk', '\ttitle: Readmission risk');
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    const found = only(report);
    expect(found[0]).toEqual({
      file: 'usecase.yaml',
      line,
      col: 1,
      path: '',
      code: 'yaml.tab-indent',
      message: 'tabs are not allowed for indentation; use spaces',
    });
  });

  it('5. `version: 2.10` unquoted must be a string, with a hint to quote it', async () => {
    const { text, line } = editLine(USECASE, 'version: "2.4.0"', '    version: 2.10');
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'usecase.yaml',
        line,
        col: 14,
        path: 'spec.candidate.version',
        code: 'schema.invalid-type',
        message: 'must be a string; found the number 2.1 (written 2.10)',
        hint: 'quote it: version: "2.10"',
      },
    ]);
  });

  it('6. a misspelled field is reported as unknown, with the likely intended name', async () => {
    const { text, line } = editLine(USECASE, '  releaseTrain: monthly', '  releaseTrian: monthly');
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    const found = only(report);
    expect(found).toContainEqual(
      expect.objectContaining({
        line,
        col: 3,
        path: 'spec.releaseTrian',
        code: 'schema.unknown-field',
        hint: 'did you mean "releaseTrain"?',
      }),
    );
    expect(found.find((d) => d.code === 'schema.unknown-field')!.message).toMatch(
      /^unknown field "releaseTrian"; expected one of title, /,
    );
    // And the real field is then missing, reported where it belongs.
    expect(found).toContainEqual(
      expect.objectContaining({
        line: 6,
        col: 1,
        path: 'spec.releaseTrain',
        code: 'schema.required',
        message: 'required field "releaseTrain" is missing',
      }),
    );
  });

  it('7a. min greater than max in a gate names the field and the rule', async () => {
    const { text, line } = editLine(
      TRAIN,
      '            min: 0.7',
      '            min: 0.9\n            max: 0.8',
    );
    const report = await validateWithPhi(governanceRepo({ 'train.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'train.yaml',
        line,
        col: 18,
        path: 'spec.stages[0].gates.evaluation[0].min',
        code: 'schema.rule',
        message: 'min (0.9) must not be greater than max (0.8)',
      },
    ]);
  });

  it('7b. tiers out of order name the tier and both values', async () => {
    const { text, line } = editLine(SURVEILLANCE, '        - at: 10', '        - at: 4');
    const report = await validateWithPhi(governanceRepo({ 'surveillance.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'surveillance.yaml',
        line,
        col: 15,
        path: 'spec.metrics[0].tiers[1].at',
        code: 'schema.rule',
        message: 'tiers must be strictly ascending: tier 1 is at 4, not above tier 0 at 5',
      },
    ]);
  });

  it('7c. a percentage over 100 names the bound and the value', async () => {
    const { text, line } = editLine(USECASE, '    samplePercent: 20', '    samplePercent: 150');
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'usecase.yaml',
        line,
        col: 20,
        path: 'spec.humanOversight.samplePercent',
        code: 'schema.too-big',
        message: 'must be at most 100; found the number 150',
      },
    ]);
  });

  it('8. a reference to a missing train names the object, the field and what exists', async () => {
    const { text, line } = editLine(USECASE, '  releaseTrain: monthly', '  releaseTrain: montly');
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'usecase.yaml',
        line,
        col: 17,
        path: 'spec.releaseTrain',
        code: 'ref.missing',
        message:
          'ReleaseTrain "montly" not found in namespace "care-management"; ReleaseTrains there: monthly',
        hint: 'did you mean "monthly"?',
      },
    ]);
  });

  it('8b. a deployment stage the train lacks names the train and its stages', async () => {
    const { text, line } = editLine(USECASE, '      - stage: production', '      - stage: prod');
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'usecase.yaml',
        line: 24,
        col: 5,
        path: 'spec.deployment.targets',
        code: 'ref.stage-without-target',
        message:
          'no deployment target for stage "production" of ReleaseTrain "monthly"; promotions cannot enter it',
      },
      {
        file: 'usecase.yaml',
        line,
        col: 16,
        path: 'spec.deployment.targets[1].stage',
        code: 'ref.unknown-stage',
        message: 'stage "prod" is not on ReleaseTrain "monthly" (its stages: staging, production)',
      },
    ]);
  });

  it('9. a team written without its organisation gets the expected form', async () => {
    const { text, line } = editLine(
      SIGNOFF,
      '      team: northwind-health/clinical-safety',
      '      team: clinical-safety',
    );
    const report = await validateWithPhi(governanceRepo({ 'signoff.yaml': text }));
    expect(only(report)).toEqual([
      {
        file: 'signoff.yaml',
        line,
        col: 13,
        path: 'spec.roles[1].team',
        code: 'schema.invalid-format',
        message:
          'must be a GitHub team written org/team-slug, e.g. "northwind-health/clinical-safety"; found the string "clinical-safety"',
      },
    ]);
  });

  it('13. a value that looks like an SSN is refused, masked, at the value', async () => {
    const { text, line } = editLine(
      USECASE,
      '  intendedUse:',
      '  intendedUse: Flag adults at risk; escalations go to the case manager, ref 078-05-1120.',
    );
    const report = await validateWithPhi(governanceRepo({ 'usecase.yaml': text }));
    const found = only(report);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      file: 'usecase.yaml',
      line,
      col: 16,
      path: 'spec.intendedUse',
      code: 'phi.ssn',
    });
    expect(found[0]!.message).toContain('***-**-1120');
    expect(JSON.stringify(report.diagnostics)).not.toContain('078-05-1120');
  });
});

describe('the vigil validate command', () => {
  const vigil = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, ['bin/vigil.js', 'validate', ...args], { env: { ...process.env, ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  const vigilWithInput = (args: string[], input: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['bin/vigil.js', 'validate', ...args], (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
      );
      child.stdin?.end(input);
    });

  it('exits 0 on a valid set and says what it read', async () => {
    const r = await vigil([governanceRepo()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'valid: 4 documents in 4 files (1 ReleaseTrain, 1 SignoffPolicy, 1 SurveillancePolicy, 1 UseCase)\n',
    );
  });

  it('exits 1 on invalid input, one line per problem in file:line:col form, no colour when not a terminal', async () => {
    const { text, line } = editLine(USECASE, '    samplePercent: 20', '    samplePercent: 150');
    const dir = governanceRepo({ 'usecase.yaml': text });
    const r = await vigil([dir], { FORCE_COLOR: undefined });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${join(dir, 'usecase.yaml')}:${line}:20: error: spec.humanOversight.samplePercent: must be at most 100; found the number 150\n` +
        'invalid: 1 error, 0 warnings in 4 documents in 4 files\n',
    );
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('uses colour only when forced and never with NO_COLOR', async () => {
    const { text } = editLine(USECASE, '    samplePercent: 20', '    samplePercent: 150');
    const dir = governanceRepo({ 'usecase.yaml': text });
    expect((await vigil([dir], { FORCE_COLOR: '1', NO_COLOR: undefined })).stdout).toContain(
      '\u001b[31merror',
    );
    expect((await vigil([dir], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toContain('\u001b[');
  });

  it('-o json gives machines every diagnostic with its position', async () => {
    const { text, line } = editLine(USECASE, '  releaseTrain: monthly', '  releaseTrain: montly');
    const r = await vigil([governanceRepo({ 'usecase.yaml': text }), '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ valid: false, errors: 1, warnings: 0, documents: 4 });
    expect(out.diagnostics[0]).toMatchObject({
      line,
      col: 17,
      path: 'spec.releaseTrain',
      code: 'ref.missing',
      severity: 'error',
    });
  });

  it('exits 2 on a usage error, with the message and no stack', async () => {
    const r = await vigil(['-o', 'xml', '.']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('vigil: -o/--output must be one of text, json, yaml; got "xml"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a path that does not exist as a usage error, exit 2, reading nothing', async () => {
    const missing = join(root, 'no-such-dir');
    const r = await vigil([governanceRepo(), missing]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `vigil: ${missing} does not exist; name files or directories of governance YAML, or - for standard input\n`,
    );
  });

  it('reports a named file that is empty or holds only comments, rather than counting it valid', async () => {
    const dir = governanceRepo();
    writeFileSync(join(dir, 'empty.yaml'), '');
    writeFileSync(join(dir, 'notes.yaml'), '# the readmission use case goes here\n---\n# nothing yet\n');
    const named = await vigil([join(dir, 'empty.yaml'), join(dir, 'notes.yaml'), join(dir, 'train.yaml')]);
    expect(named.code).toBe(1);
    const none =
      'error: expected at least one YAML document; found none (the file is empty or holds only comments)';
    expect(named.stdout).toBe(
      `${join(dir, 'empty.yaml')}: ${none}\n${join(dir, 'notes.yaml')}: ${none}\n` +
        'invalid: 2 errors, 0 warnings in 1 document in 3 files\n',
    );
    const files = [join(dir, 'empty.yaml'), join(dir, 'notes.yaml'), join(dir, 'train.yaml')];
    expect(await vigil(['--threads', '2', ...files]), 'on worker threads').toEqual(named);
    // Found by walking a directory, such a file is passed over.
    expect((await vigil([dir])).stdout).toBe(
      'valid: 4 documents in 4 files (1 ReleaseTrain, 1 SignoffPolicy, 1 SurveillancePolicy, 1 UseCase)\n',
    );
  });

  it('reads standard input for -, naming it <stdin>', async () => {
    const { text, line } = editLine(USECASE, '    samplePercent: 20', '    samplePercent: 150');
    const r = await vigilWithInput(
      ['-', governanceRepo()],
      text.replace('name: readmission-risk', 'name: other'),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `<stdin>:${line}:20: error: spec.humanOversight.samplePercent: must be at most 100; found the number 150\n` +
        'invalid: 1 error, 0 warnings in 5 documents in 5 files\n',
    );
    const empty = await vigilWithInput(['-'], '# nothing\n');
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('<stdin>: error: expected at least one YAML document; found none');
  });

  it('with no path, at the root of this repository, reads the example governance repository only', async () => {
    const atRoot = await vigil([]);
    const examples = await vigil(['examples']);
    expect(atRoot.code).toBe(0);
    expect(atRoot.stdout).toBe(examples.stdout);
    expect(atRoot.stdout).toMatch(/^valid: 24 documents in 24 files \(4 DataContract, /);
  });
});

describe('vigil validate on worker threads', () => {
  const vigil = (args: string[]) =>
    run(process.execPath, ['bin/vigil.js', 'validate', ...args], { maxBuffer: 1 << 24 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  /**
   * Six namespaces of 50 files, with problems of every sort spread across them: schema, syntax, PHI, warnings,
   * a name defined twice far apart, references to names that are missing or in files read by another thread.
   */
  function largeTree(): string {
    const dir = join(root, 'large');
    for (let n = 0; n < 6; n++) {
      const ns = `domain-${n}`;
      mkdirSync(join(dir, ns), { recursive: true });
      const inNs = (text: string) => text.replaceAll('namespace: care-management', `namespace: ${ns}`);
      const write = (i: number, text: string) =>
        writeFileSync(join(dir, ns, `${String(i).padStart(3, '0')}.yaml`), inNs(text));
      write(0, TRAIN);
      write(1, SIGNOFF);
      write(2, `${SURVEILLANCE}---\n${inNs(SURVEILLANCE).replace('name: ', 'name: second-')}`);
      for (let i = 3; i < 50; i++) {
        let text = USECASE.replace('name: readmission-risk\n  namespace', `name: use-case-${i}\n  namespace`);
        if (i % 11 === 0) text = text.replace('releaseTrain: monthly', 'releaseTrain: montly');
        if (i % 13 === 0) text = text.replace('samplePercent: 20', 'samplePercent: 150');
        if (i % 17 === 0) text = text.replace('      - stage: production', '      - stage: prod');
        if (i === 20 + n) text = text.replace('CHG0031245', 'CHG0031245 078-05-1120');
        if (i === 30 + n) text = text.replace('    mode: sample', '\tmode: sample');
        if (i === 40)
          text = text.replace('    executive: coo-office', '    executive: "yes"\n    delegate: yes');
        // Defined twice, in files read far apart.
        if (i === 49) text = text.replace('name: use-case-49', 'name: use-case-3');
        write(i, text);
      }
    }
    return dir;
  }

  const EXAMPLES = join(import.meta.dirname, '..', 'examples');
  let large: string | undefined;
  const generated = () => {
    large ??= largeTree();
    return large;
  };
  const trees: [name: string, dir: () => string, threads: string[]][] = [
    ['examples/', () => EXAMPLES, ['2']],
    ['examples/broken/', () => join(EXAMPLES, 'broken'), ['2']],
    ['a generated tree of 300 files', generated, ['2', '3', 'auto']],
  ];

  it.each(trees)(
    'prints the same report, byte for byte, on worker threads as on one thread: %s',
    async (_name, tree, threads) => {
      const dir = tree();
      const one = await vigil(['--threads', '1', dir]);
      expect(one.stderr).toBe('');
      for (const n of threads) expect(await vigil(['--threads', n, dir]), `--threads ${n}`).toEqual(one);
      const json = await vigil(['--threads', '1', '-o', 'json', dir]);
      expect(await vigil(['--threads', '2', '-o', 'json', dir]), '-o json').toEqual(json);
    },
    120_000,
  );

  it('reports across the files of different threads on the generated tree', async () => {
    const r = await vigil(['--threads', '2', generated()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /domain-5\/049\.yaml:4:9: error: metadata\.name: UseCase "use-case-3" is defined twice in namespace "domain-5"; first at .*domain-5\/003\.yaml:4\n/,
    );
    expect(r.stdout).toContain('releaseTrain: ReleaseTrain "montly" not found');
    expect(r.stdout).toContain('***-**-1120');
  });

  it('gives the same report in process, worker threads or not', async () => {
    // The worker script is the built one, so the module is too.
    const built = join(import.meta.dirname, '..', 'dist', 'controller', 'src', 'validate', 'index.js');
    const { validatePaths: validateBuilt } = (await import(pathToFileURL(built).href)) as {
      validatePaths: typeof validatePaths;
    };
    for (const [name, tree] of trees) {
      const options = { phi: {}, keepObjects: false } as const;
      const one = await validateBuilt([tree()], { ...options, threads: 1 });
      expect(await validateBuilt([tree()], { ...options, threads: 2 }), name).toEqual(one);
      expect(await validatePaths([tree()], { ...options, threads: 1 }), name).toEqual(one);
    }
  }, 120_000);

  it('refuses a thread count that is not a whole number from 1 to 8', async () => {
    const r = await vigil(['--threads', '0', EXAMPLES]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vigil: --threads must be "auto" or a whole number from 1 to 8; got "0"\n');
  });
});
