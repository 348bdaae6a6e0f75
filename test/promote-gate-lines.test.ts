// `vigil promote` lists each failing gate once per line, saying the metric once: the gate is named for the
// metric and its message starts with it, so "evaluation: auroc: auroc 0.70 ..." would say it twice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { gateLine } from '../controller/src/cli/commands/promote.js';
import { evaluateGates } from '../controller/src/kinds/usecase/gates.js';
import { releaseTrainSpec } from '../specs/releasetrain.js';
import { useCaseSpec } from '../specs/usecase.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples', 'care-management');
const specOf = (file: string) =>
  (parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'))[0]!.toJS() as { spec: unknown }).spec;

describe('vigil promote: failing gates', () => {
  it('names an evaluation metric once, then what was measured against what was required', () => {
    const train = releaseTrainSpec.parse(specOf('clinical-quarterly.yaml'));
    const useCase = useCaseSpec.parse(specOf('readmission-risk.yaml'));
    const candidate = {
      ...useCase.candidate!,
      evaluation: {
        ...useCase.candidate!.evaluation,
        results: useCase.candidate!.evaluation.results.map((r) =>
          r.metric === 'auroc' ? { ...r, value: 0.5 } : r,
        ),
      },
    };
    const verdict = evaluateGates({ candidate, train, from: undefined, to: 'silent', now: new Date() });
    const auroc = verdict.failed.find((g) => g.name === 'evaluation: auroc')!;
    expect(gateLine(auroc)).toMatch(/^evaluation: auroc 0\.5 is below the minimum 0\.\d+ by 0\.\d+$/);
    expect(gateLine(auroc).match(/auroc/g)).toHaveLength(1);
  });

  it('keeps the name and the message apart when the message does not start with the metric', () => {
    expect(gateLine({ name: 'evaluation: auroc', passed: false, message: 'no candidate evaluation' })).toBe(
      'evaluation: auroc: no candidate evaluation',
    );
    expect(
      gateLine({
        name: 'minSoak',
        passed: false,
        message:
          '2.4.0 entered silent at 2026-12-06T18:23Z; minSoak is 30d, so it soaks until 2027-01-05T18:23Z',
      }),
    ).toBe(
      'minSoak: 2.4.0 entered silent at 2026-12-06T18:23Z; minSoak is 30d, so it soaks until 2027-01-05T18:23Z',
    );
  });
});
