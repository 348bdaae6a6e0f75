// Mistakes that pass every schema but cannot work (errors) or probably do not mean what they say (warnings), each
// with its exact message at its file:line:col, as `vigil validate` reports them over real files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../controller/src/diagnostics.js';
import { validatePaths } from '../controller/src/validate/index.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-semantics-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const header = (kind: string, name: string) =>
  `apiVersion: vigil.dev/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: care-management\nspec:\n`;

const train = (spec: string) => `${header('ReleaseTrain', 'monthly')}${spec}`;
const STAGES = `  stages:
    - name: staging
    - name: production
`;
const SCHEDULE = `  schedule:
    cron: "0 6 * * 3"
    timeZone: America/Chicago
`;

const signoff = (rules: string) => `${header('SignoffPolicy', 'clinical-signoff')}  roles:
    - name: data-science
      team: northwind-health/data-science
    - name: clinical-safety
      team: northwind-health/clinical-safety
  requirements:
    - riskClass: clinical-decision-support
      roles: [data-science, clinical-safety]
${rules}  enforcement:
    repository: northwind-health/ai-deployments
`;

const surveillance = (
  metric: string,
  extra = '',
) => `${header('SurveillancePolicy', 'watch')}${extra}  prometheusUrl: https://prometheus.northwind-health.example
  metrics:
${metric}`;

let counter = 0;
/** Validate one file holding `text`; the report's lines as `vigil validate` prints them, after the file name. */
async function lines(text: string): Promise<{ lines: string[]; errors: number; warnings: number }> {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  const file = join(dir, 'object.yaml');
  writeFileSync(file, text);
  const report = await validatePaths([file]);
  return {
    lines: report.diagnostics.map((d) => formatDiagnostic(d).slice(file.length + 1)),
    errors: report.errors,
    warnings: report.warnings,
  };
}

describe('a cron that never fires', () => {
  it('is an error on the schedule: the train would never depart', async () => {
    const r = await lines(train(`  schedule:\n    cron: "0 6 31 4,6,9,11 *"\n${STAGES}`));
    expect(r.lines).toEqual([
      '8:11: error: spec.schedule.cron: cron "0 6 31 4,6,9,11 *" never fires: day of month "31" falls in no month "4,6,9,11" allows; the train would never depart',
    ]);
  });

  it('is an error on a deny window, which would never open', async () => {
    const r = await lines(
      train(`${SCHEDULE}  denyWindows:
    - name: leap-day
      cron: "0 0 30 2 *"
      duration: 1d
${STAGES}`),
    );
    expect(r.lines).toEqual([
      '12:13: error: spec.denyWindows[0].cron: cron "0 0 30 2 *" never fires: February has no day 30; the deny window would never open',
    ]);
  });

  it('is not reported for a date only leap years have, or when a day of the week is also given', async () => {
    expect((await lines(train(`  schedule:\n    cron: "0 6 29 2 *"\n${STAGES}`))).lines).toEqual([]);
    expect((await lines(train(`  schedule:\n    cron: "0 6 30 2 1"\n${STAGES}`))).lines).toEqual([]);
  });
});

describe('a time zone that is not the IANA zone of a region', () => {
  it('warns on an abbreviation, suggesting the zone', async () => {
    const r = await lines(train(`  schedule:\n    cron: "0 6 * * 3"\n    timeZone: CET\n${STAGES}`));
    expect(r.lines).toEqual([
      '9:15: warning: spec.schedule.timeZone: expected the IANA time zone of a region, such as "America/Chicago"; found the abbreviation "CET", which is ambiguous and may keep no daylight saving time (hint: did you mean "Europe/Berlin"?)',
    ]);
    expect(r.errors).toBe(0);
  });

  it('warns on a legacy alias, suggesting the region it stands for', async () => {
    const r = await lines(train(`  schedule:\n    cron: "0 6 * * 3"\n    timeZone: US/Central\n${STAGES}`));
    expect(r.lines).toEqual([
      '9:15: warning: spec.schedule.timeZone: expected the IANA time zone of a region, such as "America/Chicago"; found the legacy alias "US/Central", which names a country rather than a region and may be dropped from the time zone database (hint: did you mean "America/Chicago"?)',
    ]);
  });

  it('refuses a zone that does not exist, suggesting the nearest', async () => {
    const r = await lines(
      train(`  schedule:\n    cron: "0 6 * * 3"\n    timeZone: America/Chicgo\n${STAGES}`),
    );
    expect(r.lines).toEqual([
      '9:15: error: spec.schedule.timeZone: must be an IANA time zone such as "America/Chicago" or "UTC"; found the string "America/Chicgo" (hint: did you mean "America/Chicago"?)',
    ]);
  });

  it('accepts regions, UTC and fixed offsets', async () => {
    for (const zone of ['America/New_York', 'Europe/Berlin', 'UTC', 'Etc/UTC', 'Etc/GMT+5']) {
      const r = await lines(train(`  schedule:\n    cron: "0 6 * * 3"\n    timeZone: ${zone}\n${STAGES}`));
      expect(r.lines, zone).toEqual([]);
    }
  });
});

describe('zero where a length or threshold must be positive', () => {
  it('refuses an approval expiry of zero', async () => {
    const r = await lines(signoff('  rules:\n    approvalExpiry: 0h\n'));
    expect(r.lines).toEqual([
      '16:21: error: spec.rules.approvalExpiry: must be longer than zero (every approval would expire as it is given, so no change could be signed off); found the string "0h"',
    ]);
  });

  it('refuses a break-glass retrospective due at once', async () => {
    const r = await lines(
      signoff('  breakGlass:\n    roles: [clinical-safety]\n    retrospectiveWithin: 0d\n'),
    );
    expect(r.lines).toEqual([
      '17:26: error: spec.breakGlass.retrospectiveWithin: must be longer than zero (every break-glass rollback would be overdue for its retrospective sign-off at once); found the string "0d"',
    ]);
  });

  it('refuses a deny window of no length and a wave due no time after the last', async () => {
    const r = await lines(
      train(`${SCHEDULE}  denyWindows:
    - name: maintenance
      cron: "0 0 * * 0"
      duration: 0m
  stages:
    - name: pilot
    - name: network
      within: 0d
`),
    );
    expect(r.lines).toEqual([
      '13:17: error: spec.denyWindows[0].duration: must be longer than zero (a deny window of no length covers nothing); found the string "0m"',
      '17:15: error: spec.stages[1].within: must be longer than zero (no wave can open no time after the one before it); found the string "0d"',
    ]);
  });

  it('refuses an interval of zero and a tier at 0', async () => {
    const r = await lines(
      surveillance(
        `    - name: draft-latency-p95-seconds
      kind: performance
      source:
        prometheus: latency_p95
      baseline: 42
      direction: lower-is-better
      tiers:
        - { at: 0, action: notify }
        - { at: 50, action: review }
`,
        '  interval: 0s\n',
      ),
    );
    expect(r.lines).toEqual([
      '7:13: error: spec.interval: must be longer than zero (the metrics would be evaluated without pause); found the string "0s"',
      '17:17: error: spec.metrics[0].tiers[0].at: must be more than zero (a tier at 0 is reached by every evaluation, with no degradation at all); found the number 0',
    ]);
  });
});

describe('a value listed twice', () => {
  it('warns on a role required twice, naming the first', async () => {
    const r = await lines(
      signoff('').replace('roles: [data-science, clinical-safety]', 'roles: [data-science, data-science]'),
    );
    expect(r.lines).toEqual([
      '14:29: warning: spec.requirements[0].roles[1]: role "data-science" is listed twice; first at spec.requirements[0].roles[0]',
    ]);
  });

  it('warns on a missing-value marker or a null marker listed twice', async () => {
    const r = await lines(`${header('DataContract', 'claims')}  id: urn:northwind-health:contract:claims
  name: Claims
  version: "1.0.0"
  status: active
  ownerTeam: northwind-health/revenue-cycle-analytics
  schema:
    - name: claims
      nullMarkers: ["NA", "", "NA"]
      properties:
        - name: payer
          logicalType: string
          phi: none
          quality:
            - metric: missingValues
              arguments:
                missingValues: ["", "?", "NA", "?"]
              mustBe: 0
`);
    expect(r.lines).toEqual([
      '14:31: warning: spec.schema[0].nullMarkers[2]: value "NA" is listed twice; first at spec.schema[0].nullMarkers[0]',
      '22:48: warning: spec.schema[0].properties[0].quality[0].arguments.missingValues[3]: value "?" is listed twice; first at spec.schema[0].properties[0].quality[0].arguments.missingValues[1]',
    ]);
  });
});

describe('deny windows that clash', () => {
  it('refuses two windows with one name, and warns where one-off windows overlap', async () => {
    const r = await lines(
      train(`${SCHEDULE}  denyWindows:
    - name: freeze
      from: "2026-12-18T00:00:00-06:00"
      to: "2027-01-04T00:00:00-06:00"
    - name: freeze
      from: "2027-01-03T00:00:00-06:00"
      to: "2027-01-10T00:00:00-06:00"
${STAGES}`),
    );
    expect(r.lines).toEqual([
      '14:13: error: spec.denyWindows[1].name: deny window "freeze" is defined twice; first at spec.denyWindows[0]; each window needs its own name',
      '15:13: warning: spec.denyWindows[1].from: deny window "freeze" (2027-01-03T00:00:00-06:00 to 2027-01-10T00:00:00-06:00) overlaps deny window "freeze" (2026-12-18T00:00:00-06:00 to 2027-01-04T00:00:00-06:00); make them one window, or let one end where the other starts',
    ]);
  });

  it('accepts windows that only touch: one ends where the next starts', async () => {
    const r = await lines(
      train(`${SCHEDULE}  denyWindows:
    - name: freeze
      from: "2026-12-18T00:00:00-06:00"
      to: "2027-01-04T00:00:00-06:00"
    - name: payer-reset
      from: "2027-01-04T00:00:00-06:00"
      to: "2027-01-10T00:00:00-06:00"
${STAGES}`),
    );
    expect(r.lines).toEqual([]);
  });

  it('refuses a recurring window over every departure, and accepts one that leaves some', async () => {
    const over = await lines(
      train(`  schedule:
    cron: "0 6 1 * *"
    timeZone: America/Chicago
  denyWindows:
    - name: month-start-close
      cron: "0 0 1 * *"
      duration: 2d
${STAGES}`),
    );
    expect(over.lines).toEqual([
      '12:13: error: spec.denyWindows[0].cron: deny window "month-start-close" (cron "0 0 1 * *", 2d) covers every departure of schedule "0 6 1 * *" in America/Chicago; the train would never depart',
    ]);
    // Only January's departure falls in this one.
    const some = await lines(
      train(`  schedule:
    cron: "0 6 1 * *"
    timeZone: America/Chicago
  denyWindows:
    - name: new-year
      cron: "0 0 1 1 *"
      duration: 2d
${STAGES}`),
    );
    expect(some.lines).toEqual([]);
  });
});

describe('recurring deny windows that between them cover every departure', () => {
  it('refuses them at the list, naming each', async () => {
    const r = await lines(
      train(`  schedule:
    cron: "0 6 * * *"
    timeZone: America/Chicago
  denyWindows:
    - name: weekday-clinics
      cron: "0 0 * * 1-5"
      duration: 1d
    - name: weekend-maintenance
      cron: "0 0 * * 0,6"
      duration: 1d
${STAGES}`),
    );
    expect(r.lines).toEqual([
      '11:5: error: spec.denyWindows: deny windows "weekday-clinics", "weekend-maintenance" between them cover every departure of schedule "0 6 * * *" in America/Chicago; the train would never depart',
    ]);
  });
});

describe('waves whose reach shrinks', () => {
  it('warns at the narrower wave, naming the wider one before it', async () => {
    const r = await lines(
      train(`${SCHEDULE}  stages:
    - name: pilot
      sites: 2
    - name: clinics
      sites: 12
    - name: hospitals
      sites: 3
    - name: network
      sites: 15
`),
    );
    expect(r.lines).toEqual([
      '16:14: warning: spec.stages[2].sites: wave "hospitals" reaches 3 sites, fewer than the 12 of "clinics" before it; each wave\'s sites count every site it reaches, earlier waves\' included, so they must not shrink',
    ]);
  });
});

describe('a rate written as a percentage', () => {
  it('warns on train thresholds of a rate above 1', async () => {
    const r = await lines(
      train(`${SCHEDULE}  stages:
    - name: pilot
      gates:
        evaluation:
          - metric: hallucination-rate
            max: 2
    - name: network
      gates:
        expansion:
          - metric: first-pass-approval-rate
            min: 80
`),
    );
    expect(r.lines).toEqual([
      '15:18: warning: spec.stages[0].gates.evaluation[0].max: "hallucination-rate" is a rate, a fraction from 0 to 1; found 2, which reads as 200% (hint: for 2%, write 0.02)',
      '20:18: warning: spec.stages[1].gates.expansion[0].min: "first-pass-approval-rate" is a rate, a fraction from 0 to 1; found 80, which reads as 8000% (hint: for 80%, write 0.8)',
    ]);
  });

  it('warns on the absolute tiers of a rate, and leaves relative tiers (percentages) alone', async () => {
    const metric = (degradation: string, tiers: string) => `    - name: flagged-hallucination-rate
      kind: performance
      source:
        prometheus: flagged_rate
      baseline: 0.004
      direction: lower-is-better
      degradation: ${degradation}
      tiers:
${tiers}`;
    const absolute = await lines(
      surveillance(
        metric('absolute', '        - { at: 0.5, action: notify }\n        - { at: 2, action: review }\n'),
      ),
    );
    expect(absolute.lines).toEqual([
      '18:17: warning: spec.metrics[0].tiers[1].at: "flagged-hallucination-rate" is a rate, a fraction from 0 to 1; found 2, which reads as 200% (hint: for 2%, write 0.02)',
    ]);
    const relative = await lines(
      surveillance(
        metric('relative', '        - { at: 5, action: notify }\n        - { at: 10, action: review }\n'),
      ),
    );
    expect(relative.lines).toEqual([]);
  });
});

describe('evidence that names a gate metric another way', () => {
  const set = (
    evidence: string,
    value = '0.03',
  ) => `${header('UseCase', 'readmission-risk')}  title: Readmission risk
  ownerTeam: northwind-health/data-science
  sponsors:
    clinical: cmio-office
    executive: coo-office
  riskClass: clinical-decision-support
  intendedUse: Rank adult inpatients at discharge by risk of readmission within 30 days.
  humanOversight:
    mode: review-all
  model:
    name: readmission-risk
    registryUri: "models:/readmission-risk"
  releaseTrain: monthly
  signoffPolicy: clinical-signoff
  deployment:
    repository: northwind-health/ai-deployments
    targets:
      - { stage: staging, file: staging.yaml, field: model.version }
      - { stage: production, file: production.yaml, field: model.version }
  candidate:
    version: "2.4.0"
    rollbackPlan: https://wiki.northwind-health.example/runbooks/readmission-rollback
    evaluation:
      evaluatedAt: "2026-10-30T12:00:00Z"
      results:
        - metric: ${evidence}
          value: ${value}
---
${train(`${SCHEDULE}  stages:
    - name: staging
      gates:
        evaluation:
          - metric: expected-calibration-error
            max: 0.05
    - name: production
`)}---
${signoff('')}`;

  it('warns at the evidence when the name is misspelt, with "did you mean"', async () => {
    const r = await lines(set('expected-calibraton-error'));
    expect(r.lines).toEqual([
      '32:19: warning: spec.candidate.evaluation.results[0].metric: "expected-calibraton-error" is not a metric ReleaseTrain "monthly" gates on; its gate for stage "staging" finds no result under its own name (hint: did you mean "expected-calibration-error"?)',
    ]);
  });

  it('says nothing when the evidence names it exactly', async () => {
    expect((await lines(set('expected-calibration-error'))).lines).toEqual([]);
  });

  it('warns on evidence of a rate written as a percentage', async () => {
    const r = await lines(
      set('expected-calibration-error\n          value: 0.03\n        - metric: hallucination-rate', '1.5'),
    );
    expect(r.lines).toEqual([
      '35:18: warning: spec.candidate.evaluation.results[1].value: "hallucination-rate" is a rate, a fraction from 0 to 1; found 1.5, which reads as 150% (hint: for 1.5%, write 0.015)',
    ]);
  });
});
