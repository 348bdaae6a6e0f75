// The Northwind Health governance repo in examples/: `vigil validate examples/` finds nothing wrong, the examples
// agree with each other the way the controller will need them to, and each file in examples/broken/ fails with
// exactly the one problem it was written to show, at its file:line:col, as `vigil validate` prints it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../controller/src/diagnostics.js';
import { scanForPhi } from '../controller/src/phi/index.js';
import type { ValidObject } from '../controller/src/validate/document.js';
import { type ValidationReport, validatePaths } from '../controller/src/validate/index.js';
import type { DataContractSpec } from '../specs/datacontract.js';
import type { ReleaseTrainSpec } from '../specs/releasetrain.js';
import type { UseCaseSpec } from '../specs/usecase.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');
const BROKEN = join(EXAMPLES, 'broken');
const KIND_FILES: Record<string, string> = {
  UseCase: 'usecase',
  DataContract: 'datacontract',
  ReleaseTrain: 'releasetrain',
  SurveillancePolicy: 'surveillancepolicy',
  SignoffPolicy: 'signoffpolicy',
};

const validate = (paths: string[]) => validatePaths(paths, { phi: (doc) => scanForPhi(doc, {}) });
// A domain is a folder that declares its namespace (broken/, forge/ and data/ are not domains).
const NAMESPACES = readdirSync(EXAMPLES)
  .filter((d) => existsSync(join(EXAMPLES, d, '00-namespace.yaml')))
  .sort();

let report: ValidationReport;
beforeAll(async () => {
  report = await validate([EXAMPLES]);
});

const objectsOf = <S>(kind: string) =>
  report.objects.filter((o) => o.kind === kind) as (ValidObject & { object: { spec: S } })[];
const find = <S>(kind: string, namespace: string, name: string) =>
  objectsOf<S>(kind).find((o) => o.namespace === namespace && o.name === name);

describe('examples/: the Northwind Health governance repo', () => {
  it('has the four domains', () => {
    expect(NAMESPACES).toEqual([
      'care-management',
      'clinical-documentation',
      'revenue-cycle',
      'utilization-management',
    ]);
  });

  it('passes `vigil validate examples/` with no error and no warning, broken/ skipped by .vigilignore', () => {
    expect(report.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(report.kinds).toEqual({
      DataContract: 4,
      ReleaseTrain: 4,
      SignoffPolicy: 4,
      SurveillancePolicy: 4,
      UseCase: 4,
    });
    expect(report.foreign).toBe(4); // a Namespace per domain
    expect(readFileSync(join(EXAMPLES, '.vigilignore'), 'utf8')).toMatch(/^broken\/$/m);
  });

  it('keeps every object in the folder of its namespace, behind the modeline of its kind', () => {
    for (const o of report.objects) {
      const file = relative(EXAMPLES, o.source.file);
      expect(file.split(sep)[0], file).toBe(o.namespace);
      const firstLine = readFileSync(o.source.file, 'utf8').split('\n')[0];
      expect(firstLine, file).toBe(
        `# yaml-language-server: $schema=../../specs/json/${KIND_FILES[o.kind]}.json`,
      );
    }
  });

  it('gives every use case candidate evidence that meets each evaluation gate of its train', () => {
    for (const uc of objectsOf<UseCaseSpec>('UseCase')) {
      const spec = uc.object.spec;
      const train = find<ReleaseTrainSpec>('ReleaseTrain', uc.namespace, spec.releaseTrain)!.object.spec;
      const results = spec.candidate?.evaluation.results ?? [];
      for (const gate of train.stages.flatMap((s) => s.gates.evaluation)) {
        const result = results.find((r) => r.metric === gate.metric && r.segment === gate.segment);
        const label = `${uc.name}: ${gate.metric}${gate.segment ? ` (${gate.segment})` : ''}`;
        expect(result, `${label} has no result`).toBeDefined();
        if (gate.min !== undefined) expect(result!.value, label).toBeGreaterThanOrEqual(gate.min);
        if (gate.max !== undefined) expect(result!.value, label).toBeLessThanOrEqual(gate.max);
      }
    }
  });

  it('gives every expansion criterion measured against a baseline a baseline of that name', () => {
    for (const uc of objectsOf<UseCaseSpec>('UseCase')) {
      const spec = uc.object.spec;
      const train = find<ReleaseTrainSpec>('ReleaseTrain', uc.namespace, spec.releaseTrain)!.object.spec;
      const baselines = spec.baselineMetrics.map((b) => b.name);
      for (const c of train.stages.flatMap((s) => s.gates.expansion)) {
        if (c.maxRegressionPercent !== undefined)
          expect(baselines, `${uc.name}: ${c.metric}`).toContain(c.metric);
      }
    }
  });

  it('lists each use case among the consumers of the contracts it reads', () => {
    for (const uc of objectsOf<UseCaseSpec>('UseCase')) {
      for (const ref of uc.object.spec.dataContracts) {
        const dc = find<DataContractSpec>('DataContract', uc.namespace, ref.name)!.object.spec;
        expect(
          dc.consumers?.map((c) => c.useCase),
          `${ref.name}`,
        ).toContain(uc.name);
      }
    }
  });
});

// The public de-identified sample the contract was written against (Diabetes 130-US hospitals, UCI, CC BY 4.0):
// the project's own copy, with its licence and origin in examples/data/README.md.
const ENCOUNTERS_SAMPLE = join(ROOT, 'examples', 'data', 'uci-diabetes-130', 'encounters-sample.csv');

describe('care-management/inpatient-encounters.yaml: the real extract', () => {
  const [header, ...rows] = readFileSync(ENCOUNTERS_SAMPLE, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.trim().split(','));
  type Property = NonNullable<NonNullable<DataContractSpec['schema']>[number]['properties']>[number];
  const table = () =>
    find<DataContractSpec>('DataContract', 'care-management', 'inpatient-encounters')!.object.spec
      .schema![0]!;

  it('declares the 44 columns, in order, and "?" as the missing-value marker', () => {
    expect(header).toHaveLength(44);
    expect(table().properties!.map((p: Property) => p.name)).toEqual(header);
    expect((table() as { nullMarkers?: string[] }).nullMarkers).toEqual(['?']);
  });

  it('admits every value of the sample: enumerations, integer ranges, patterns', () => {
    table().properties!.forEach((p: Property, col: number) => {
      const values = new Set(rows.map((r) => r[col]!).filter((v) => v !== '?'));
      const rule = p.quality?.find((q) => q.metric === 'invalidValues');
      const valid = (rule?.arguments as { validValues?: string[] } | undefined)?.validValues;
      const options = (p.logicalTypeOptions ?? {}) as {
        minimum?: number;
        maximum?: number;
        pattern?: string;
      };
      for (const v of values) {
        if (valid) expect(valid, `${p.name}: ${v}`).toContain(v);
        if (p.logicalType === 'integer') {
          expect(Number.isInteger(Number(v)), `${p.name}: ${v}`).toBe(true);
          const { minimum = -Infinity, maximum = Infinity } = options;
          expect(Number(v) >= minimum && Number(v) <= maximum, `${p.name}: ${v}`).toBe(true);
        }
        if (options.pattern) expect(v, p.name).toMatch(new RegExp(options.pattern));
      }
    });
  });
});

/** What `vigil validate examples/broken/<file>` prints for each file: one mistake each, where it is. */
const BROKEN_FILES: Record<string, string[]> = {
  'cron-never-fires.yaml': [
    '10:11: error: spec.schedule.cron: cron "0 6 30 2 *" never fires: February has no day 30; the train would never depart',
  ],
  'deny-window-covers-every-departure.yaml': [
    '15:13: error: spec.denyWindows[0].cron: deny window "ehr-sunday-maintenance" (cron "0 0 * * 0", 6h) covers every departure of schedule "0 2 * * 0" in America/Chicago; the train would never depart',
  ],
  'deny-window-ends-before-start.yaml': [
    '16:11: error: spec.denyWindows[0].to: to (2026-09-12T06:00:00-05:00) must be after from (2026-10-09T18:00:00-05:00)',
  ],
  'deny-windows-overlap.yaml': [
    '18:13: warning: spec.denyWindows[1].from: deny window "payer-policy-reset" (2026-12-28T00:00:00-06:00 to 2027-01-12T00:00:00-06:00) overlaps deny window "year-end-freeze" (2026-12-18T00:00:00-06:00 to 2027-01-04T00:00:00-06:00); make them one window, or let one end where the other starts',
  ],
  'deny-windows-same-name.yaml': [
    '17:13: error: spec.denyWindows[1].name: deny window "ehr-upgrade-weekend" is defined twice; first at spec.denyWindows[0]; each window needs its own name',
  ],
  'duplicate-key.yaml': ['13:3: error: spec.cutoff: duplicate key "cutoff"; first at line 9'],
  'evidence-metric-misspelled.yaml': [
    '39:19: warning: spec.candidate.evaluation.results[0].metric: "AUROC" is not a metric ReleaseTrain "clinical-quarterly" gates on; its gate for stage "silent" finds no result under its own name (hint: did you mean "auroc"?)',
  ],
  'invalid-cron.yaml': [
    '10:11: error: spec.schedule.cron: invalid cron expression "0 0 6 10 * ?": must have 5 fields (minute hour day-of-month month day-of-week); found 6',
  ],
  'min-greater-than-max.yaml': [
    '19:18: error: spec.stages[0].gates.evaluation[1].min: min (1.1) must not be greater than max (0.9)',
  ],
  'misspelled-field.yaml': [
    '23:3: error: spec.survelliancePolicy: unknown field "survelliancePolicy"; expected one of title, description, ownerTeam, sponsors, riskClass, intendedUse, contraindications, knownLimitations, humanOversight, model, dataContracts, releaseTrain, surveillancePolicy, signoffPolicy, deployment, versions, candidate, readiness, baselineMetrics, suspend (hint: did you mean "surveillancePolicy"?)',
  ],
  'percent-over-100.yaml': [
    '17:20: error: spec.humanOversight.samplePercent: must be at most 100; found the number 150',
  ],
  'rate-as-percent.yaml': [
    '16:17: warning: spec.metrics[0].baseline: "clinician-override-rate" is a rate, a fraction from 0 to 1; found 22, which reads as 2200% (hint: for 22%, write 0.22)',
  ],
  'role-not-defined.yaml': [
    '18:58: error: spec.requirements[0].roles[3]: role "privacy" is not defined in spec.roles (defined: data-science, clinical-safety, compliance)',
  ],
  'ssn-in-free-text.yaml': [
    '18:7: error: spec.knownLimitations[1]: value looks like a US Social Security number (***-**-1120); PHI must not be written in governance files (hint: remove it; where an example is needed, use an obviously synthetic one)',
  ],
  'stage-not-on-train.yaml': [
    '25:5: warning: spec.deployment.targets: no deployment target for stage "twelve-clinics" of ReleaseTrain "wave-rollout"; promotions cannot enter it',
    '29:16: error: spec.deployment.targets[1].stage: stage "twelve-clinic" is not on ReleaseTrain "wave-rollout" (its stages: pilot-clinic, twelve-clinics, network) (hint: did you mean "twelve-clinics"?)',
  ],
  'tab-indent.yaml': ['11:1: error: tabs are not allowed for indentation; use spaces'],
  'team-without-org.yaml': [
    '13:13: error: spec.roles[1].team: must be a GitHub team written org/team-slug, e.g. "northwind-health/clinical-safety"; found the string "clinical-safety"',
  ],
  'time-zone-abbreviation.yaml': [
    '12:15: warning: spec.schedule.timeZone: expected the IANA time zone of a region, such as "America/Chicago"; found the abbreviation "EST", which is ambiguous and may keep no daylight saving time (hint: did you mean "America/New_York"?)',
  ],
  'tiers-out-of-order.yaml': [
    '22:17: error: spec.metrics[0].tiers[1].at: tiers must be strictly ascending: tier 1 is at 5, not above tier 0 at 10',
  ],
  'unknown-release-train.yaml': [
    '23:17: error: spec.releaseTrain: ReleaseTrain "clinical-monthly" not found in namespace "broken-unknown-release-train"; there is no ReleaseTrain in that namespace',
  ],
  'unknown-time-zone.yaml': [
    '11:15: error: spec.schedule.timeZone: must be an IANA time zone such as "America/Chicago" or "UTC"; found the string "Central Standard Time" (hint: did you mean "America/Chicago"?)',
  ],
  'unquoted-version.yaml': [
    '30:14: error: spec.candidate.version: must be a string; found the number 1.1 (written 1.10) (hint: quote it: version: "1.10")',
  ],
  'valid-value-listed-twice.yaml': [
    '31:54: warning: spec.schema[0].properties[1].quality[0].arguments.validValues[3]: value "PR" is listed twice; first at spec.schema[0].properties[1].quality[0].arguments.validValues[2]',
  ],
  'waves-shrink.yaml': [
    '20:14: warning: spec.stages[2].sites: wave "hospital-medicine" reaches 3 sites, fewer than the 12 of "ambulatory" before it; each wave\'s sites count every site it reaches, earlier waves\' included, so they must not shrink',
  ],
  'zero-approval-expiry.yaml': [
    '19:21: error: spec.rules.approvalExpiry: must be longer than zero (every approval would expire as it is given, so no change could be signed off); found the string "0d"',
  ],
};
const errorsIn = (lines: readonly string[]) => lines.filter((line) => line.includes(': error: ')).length;

describe('examples/broken/: one mistake per file, each caught where it is', () => {
  it('has an expectation for every file, and a file for every expectation', () => {
    const files = readdirSync(BROKEN)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files).toEqual(Object.keys(BROKEN_FILES).sort());
  });

  it.each(Object.entries(BROKEN_FILES))('%s', async (file, expected) => {
    const path = join(BROKEN, file);
    const broken = await validate([path]);
    expect(broken.diagnostics.map(formatDiagnostic)).toEqual(expected.map((line) => `${path}:${line}`));
    // One mistake each: an error where the input can never work, otherwise a warning.
    expect(broken.errors).toBe(errorsIn(expected));
    expect(broken.errors > 0 ? broken.errors : broken.warnings).toBe(1);
  });

  it('reports the same problems, and only those, when the whole folder is validated', async () => {
    const all = await validate([BROKEN]);
    expect(all.errors).toBe(errorsIn(Object.values(BROKEN_FILES).flat()));
    expect(all.diagnostics.map(formatDiagnostic).sort()).toEqual(
      Object.entries(BROKEN_FILES)
        .flatMap(([file, lines]) => lines.map((line) => `${join(BROKEN, file)}:${line}`))
        .sort(),
    );
  });
});
