import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ReleaseTrain } from '../../../specs/releasetrain.js';
import { SignoffPolicy } from '../../../specs/signoffpolicy.js';
import { UseCase } from '../../../specs/usecase.js';
import { buildEvidence, canonicalJson, evidenceDigest } from './evidence.js';
import { branchName, promotionName } from './names.js';
import { gatesFor, planPromotion, pullRequestLabels, reviewerTeams } from './plan.js';
import { PhiInPullRequestError, renderPullRequest } from './render.js';
import { DeploymentTargetError, readVersionField, setVersionField } from './version-field.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'));
const denials = UseCase.parse(load('revenue-cycle/denials-triage.yaml')).spec;
const monthly = ReleaseTrain.parse(load('revenue-cycle/monthly-release.yaml')).spec;
const policy = SignoffPolicy.parse(load('revenue-cycle/governance-signoff.yaml')).spec;
const PRODUCTION = readFileSync(
  new URL(
    '../../../examples/forge/ai-deployments/revenue-cycle/denials-triage/production.yaml',
    import.meta.url,
  ),
  'utf8',
);

describe('names', () => {
  it('names the Promotion and its branch from what is promoted', () => {
    const id = {
      type: 'promotion' as const,
      namespace: 'revenue-cycle',
      useCase: 'denials-triage',
      to: 'production',
      version: '3.2.0',
    };
    expect(promotionName(id)).toBe('denials-triage-production-3-2-0');
    expect(branchName(id)).toBe('vigil/promote/revenue-cycle/denials-triage/production/3.2.0');
    expect(promotionName({ ...id, type: 'rollback', version: '3.1.4' })).toBe(
      'denials-triage-rollback-production-3-1-4',
    );
    expect(branchName({ ...id, type: 'rollback', version: '3.1.4' })).toBe(
      'vigil/rollback/revenue-cycle/denials-triage/production/3.1.4',
    );
  });

  it('keeps long names within 63 characters, distinct by a hash', () => {
    const long = {
      type: 'promotion' as const,
      useCase: 'a'.repeat(50),
      to: 'network-wide-wave',
      version: '10.20.30-rc.1',
    };
    const a = promotionName(long);
    const b = promotionName({ ...long, version: '10.20.30-rc.2' });
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(a).not.toBe(b);
  });
});

describe('the version edit', () => {
  it('changes exactly the version line and keeps every comment', () => {
    const edit = setVersionField(PRODUCTION, 'production.yaml', 'model.version', '3.2.0');
    expect(edit).toMatchObject({ previous: '3.1.4', changed: true });
    const before = PRODUCTION.split('\n');
    const after = edit.content.split('\n');
    expect(after).toHaveLength(before.length);
    const diff = before.flatMap((line, i) => (line === after[i] ? [] : [`-${line}`, `+${after[i]}`]));
    expect(diff).toEqual(['-  version: "3.1.4"', '+  version: "3.2.0"']);
    expect(readVersionField(edit.content, 'production.yaml', 'model.version')).toBe('3.2.0');
  });

  it('quotes an unquoted version and keeps single quotes', () => {
    expect(setVersionField('image:\n  tag: 1.2.0 # pinned\n', 'v.yaml', 'image.tag', '1.10.0').content).toBe(
      'image:\n  tag: "1.10.0" # pinned\n',
    );
    expect(setVersionField("tag: '1.2.0'\n", 'v.yaml', 'tag', '1.3.0').content).toBe("tag: '1.3.0'\n");
  });

  it('is a no-op when the file already holds the version', () => {
    expect(setVersionField(PRODUCTION, 'p.yaml', 'model.version', '3.1.4')).toMatchObject({
      changed: false,
      content: PRODUCTION,
    });
  });

  it('names file and field when the field is missing', () => {
    expect(() =>
      setVersionField(PRODUCTION, 'revenue-cycle/denials-triage/production.yaml', 'model.tag', '3.2.0'),
    ).toThrow(
      new DeploymentTargetError(
        'revenue-cycle/denials-triage/production.yaml',
        'model.tag',
        "revenue-cycle/denials-triage/production.yaml has no field model.tag; the use case's deployment target names a field the file does not hold",
      ),
    );
    expect(() => setVersionField(PRODUCTION, 'p.yaml', 'serving.image.tag', '3.2.0')).toThrow(
      /p\.yaml has no field serving\.image\.tag \(nor its parent serving\.image\)/,
    );
  });

  it('adds the field on a first deployment into a wave when its parent exists', () => {
    const wave = '# not live yet\nsummarizer:\n  enabled: false\n';
    const edit = setVersionField(wave, 'w.yaml', 'summarizer.bundleVersion', '1.5.0', { addIfMissing: true });
    expect(edit.content).toBe('# not live yet\nsummarizer:\n  enabled: false\n  bundleVersion: "1.5.0"\n');
  });
});

const NOW = new Date('2026-08-01T12:00:00Z');
const status = { stages: [{ stage: 'staging', version: '3.2.0', since: '2026-07-01T00:00:00Z' }] };
const useCase = { namespace: 'revenue-cycle', name: 'denials-triage', uid: 'uid-1', spec: denials };

function bundle(spec = denials) {
  const promotion = planPromotion({
    useCase: { ...useCase, spec },
    type: 'promotion',
    trigger: 'train',
    releaseTrain: 'monthly-release',
    from: 'staging',
    to: 'production',
    version: '3.2.0',
    previousVersion: '3.1.4',
  });
  return buildEvidence({
    namespace: 'revenue-cycle',
    name: promotion.metadata.name,
    promotion: promotion.spec,
    useCaseName: 'denials-triage',
    useCase: spec,
    target: { file: 'revenue-cycle/denials-triage/production.yaml', field: 'model.version' },
    gates: gatesFor(spec, status, monthly, 'production', NOW).gates,
    contracts: {},
    surveillance: { name: 'denials-triage-surveillance', status: { worstTier: 'none', metrics: [] } },
    policy: { name: 'governance-signoff', revision: 'generation:1' },
  });
}

describe('planning', () => {
  it('plans the Promotion with labels and an owner reference', () => {
    const p = planPromotion({
      useCase,
      type: 'promotion',
      trigger: 'manual',
      from: 'staging',
      to: 'production',
      version: '3.2.0',
    });
    expect(p.metadata).toMatchObject({
      name: 'denials-triage-production-3-2-0',
      namespace: 'revenue-cycle',
      labels: {
        'vigil.dev/use-case': 'denials-triage',
        'vigil.dev/release-train': 'monthly-release',
        'vigil.dev/stage': 'production',
      },
      ownerReferences: [{ kind: 'UseCase', name: 'denials-triage', uid: 'uid-1', controller: true }],
    });
    expect(p.spec).toEqual({
      useCase: 'denials-triage',
      type: 'promotion',
      trigger: 'manual',
      from: 'staging',
      to: 'production',
      version: '3.2.0',
      breakGlass: false,
    });
  });

  it('asks one team per required role and labels by kind and risk class', () => {
    expect(reviewerTeams(policy, 'operational')).toEqual([
      'northwind-health/data-science',
      'northwind-health/clinical-safety',
      'northwind-health/compliance',
    ]);
    expect(pullRequestLabels('promotion', 'operational')).toEqual(['vigil', 'promotion', 'operational']);
  });
});

describe('the pull request', () => {
  it('renders the evidence from the default template', () => {
    const { title, body, digest } = renderPullRequest(bundle());
    expect(title).toBe('Promote denials-triage 3.2.0 to production');
    const lines = body.split('\n');
    for (const line of [
      '## Promote denials-triage 3.2.0 to production',
      '| Version | `3.1.4` -> `3.2.0` |',
      '| Stage | staging -> production |',
      '| Trigger | train (release train `monthly-release`) |',
      '| Change | `revenue-cycle/denials-triage/production.yaml`: `model.version` in northwind-health/ai-deployments@main |',
      '| Change ticket | CHG0048213 |',
      '| Rollback plan | https://wiki.northwind-health.example/revenue-cycle/denials-triage/rollback-3.2.0 |',
      '| evaluation: top1-denial-category-accuracy (payer_type=medicaid-managed-care) | pass | top1-denial-category-accuracy (payer_type=medicaid-managed-care) 0.861 is at or above the minimum 0.82 |',
      '| minLabelledOutcomes | **FAIL** | no count of labelled outcomes observed in staging; 1500 required |',
      '| readiness | **FAIL** | 7/8 readiness items done; open: governanceApproval (in-progress) |',
      '| top1-denial-category-accuracy | payer_type=medicaid-managed-care | 0.861 | 3125 |',
      '| governanceApproval | in-progress |  AI governance committee review on the agenda of the next monthly meeting. |',
      'Policy `denials-triage-surveillance`: worst tier **none**.',
      'Sign-off policy `governance-signoff` at revision `generation:1`. The `vigil/sign-off` check turns green only when every role the risk class requires has approved.',
      `<details><summary>Evidence bundle (${digest})</summary>`,
      '<!-- vigil:promotion revenue-cycle/denials-triage-production-3-2-0 -->',
    ]) {
      expect(lines).toContain(line);
    }
    expect(body).toMatch(/### Gates \(\d+\/\d+ pass\)/);
  });

  it('has a digest that depends on the evidence only, not on key order', () => {
    const a = bundle();
    const reordered = Object.fromEntries(Object.entries(a).reverse());
    expect(evidenceDigest(a)).toBe(evidenceDigest(bundle()));
    expect(canonicalJson(reordered)).toBe(canonicalJson(a));
    expect(evidenceDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const changed = bundle({ ...denials, candidate: { ...denials.candidate!, changeTicket: 'CHG0048214' } });
    expect(evidenceDigest(changed)).not.toBe(evidenceDigest(a));
  });

  it('refuses to send anything shaped like PHI', () => {
    const leaky = bundle({
      ...denials,
      candidate: { ...denials.candidate!, summary: 'Fixed for MRN: 00123456' },
    });
    expect(() => renderPullRequest(leaky)).toThrow(PhiInPullRequestError);
    expect(() => renderPullRequest(bundle(), 'Note: 123-45-6789', 'ConfigMap revenue-cycle/pr')).toThrow(
      /ConfigMap revenue-cycle\/pr holds text that looks like PHI: a US Social Security number \(\*\*\*-\*\*-6789\)/,
    );
  });

  it('renders a custom template over the same view', () => {
    const { body } = renderPullRequest(
      bundle(),
      '{{useCase.name}} {{promotion.version}} {{gatesPassed}}/{{gatesTotal}} {{digest}}',
    );
    expect(body).toMatch(/^denials-triage 3\.2\.0 \d+\/\d+ sha256:[0-9a-f]{64}\n$/);
  });
});
