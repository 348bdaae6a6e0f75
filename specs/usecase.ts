// UseCase: an AI use case declared as a product, from intended use to the version running in each stage.
import { z } from 'zod';
import {
  ageColumn,
  dateTime,
  type KindDefinition,
  login,
  nameRef,
  objectSchema,
  percent,
  readyColumn,
  reasonColumn,
  repository,
  semverString,
  stageName,
  statusBase,
  team,
  uri,
} from './common.js';

export const RISK_CLASSES = [
  'administrative',
  'operational',
  'clinical-decision-support',
  'medical-device',
] as const;
export const riskClass = z
  .enum(RISK_CLASSES)
  .describe('How much harm a wrong output can do; decides which sign-offs a change needs.');
export type RiskClass = z.infer<typeof riskClass>;

export const READINESS_ITEMS = [
  'dataPipelineResilience',
  'gracefulDegradation',
  'changeManagementPlan',
  'financialBaseline',
  'edgeCaseCatalog',
  'monitoringAndAlerting',
  'rollbackProcedure',
  'governanceApproval',
] as const;
export type ReadinessItem = (typeof READINESS_ITEMS)[number];

const readinessEntry = z
  .strictObject({
    status: z
      .enum(['done', 'in-progress', 'not-started', 'not-applicable'])
      .describe('Where this item stands; only "done" and "not-applicable" count as ready.'),
    evidence: uri.optional().describe('Link to the evidence: a runbook, a test report, a signed plan.'),
    note: z.string().optional().describe('Why the item is not applicable, or what is left.'),
  })
  .superRefine((e, ctx) => {
    if (e.status === 'done' && !e.evidence) {
      ctx.addIssue({
        code: 'custom',
        path: ['evidence'],
        message: 'an item marked "done" needs an evidence link',
      });
    }
    if (e.status === 'not-applicable' && !e.note) {
      ctx.addIssue({
        code: 'custom',
        path: ['note'],
        message: 'an item marked "not-applicable" needs a note saying why',
      });
    }
  })
  .describe('One item of the production readiness checklist.');

const readiness = z
  .strictObject(
    Object.fromEntries(
      READINESS_ITEMS.map((item) => [item, readinessEntry.optional().describe(`Readiness item ${item}.`)]),
    ) as Record<ReadinessItem, z.ZodOptional<typeof readinessEntry>>,
  )
  .describe('The production readiness checklist; a missing item counts as not started.');

const confidenceRouting = z
  .strictObject({
    standardAbove: z
      .number()
      .min(0)
      .max(1)
      .describe('Outputs with confidence at or above this go the standard route (spot-checked).'),
    assistedAbove: z
      .number()
      .min(0)
      .max(1)
      .describe(
        'Outputs at or above this (and below standardAbove) go the assisted route; below it, manual.',
      ),
  })
  .superRefine((r, ctx) => {
    if (r.assistedAbove >= r.standardAbove) {
      ctx.addIssue({
        code: 'custom',
        path: ['assistedAbove'],
        message: `assistedAbove (${r.assistedAbove}) must be lower than standardAbove (${r.standardAbove})`,
      });
    }
  })
  .describe('Confidence thresholds that route each output to the standard, assisted or manual path.');

const routingRule = z
  .strictObject({
    name: z.string().min(1).describe('What the rule catches, e.g. "pediatric".'),
    field: z.string().min(1).describe('Input field the rule reads, e.g. "patient_age_years".'),
    below: z.number().optional().describe('Route when the field is below this.'),
    above: z.number().optional().describe('Route when the field is above this.'),
    route: z.enum(['assisted', 'manual']).describe('Where matching cases go.'),
  })
  .superRefine((r, ctx) => {
    if (r.below === undefined && r.above === undefined) {
      ctx.addIssue({ code: 'custom', path: ['below'], message: 'a routing rule needs below, above or both' });
    }
  })
  .describe('An edge case routed away from the standard path regardless of confidence.');

const humanOversight = z
  .strictObject({
    mode: z
      .enum(['review-all', 'sample', 'exceptions'])
      .describe('review-all: a person reviews every output; sample: a share; exceptions: only routed cases.'),
    samplePercent: percent
      .optional()
      .describe('Share of outputs reviewed, in percent, when mode is "sample".'),
    confidenceRouting: confidenceRouting.optional(),
    routingRules: z.array(routingRule).optional().describe('Edge cases routed by input values.'),
  })
  .superRefine((h, ctx) => {
    if (h.mode === 'sample' && h.samplePercent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['samplePercent'], message: 'mode "sample" needs samplePercent' });
    }
    if (h.mode !== 'sample' && h.samplePercent !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['samplePercent'],
        message: `samplePercent applies only to mode "sample"; mode is "${h.mode}"`,
      });
    }
  })
  .describe('How people oversee the outputs.');

const model = z
  .strictObject({
    name: z.string().min(1).describe('Model name in the registry.'),
    registryUri: uri.describe(
      'Where the model and its versions are registered, e.g. "models:/readmission-risk".',
    ),
    framework: z.string().optional().describe('Framework or vendor, e.g. "xgboost" or "vendor-llm".'),
  })
  .describe('The model behind the use case.');

const contractRef = z
  .strictObject({
    name: nameRef('DataContract'),
    version: z
      .string()
      .optional()
      .describe('Contract version the model was built against; the current one when omitted.'),
  })
  .describe('A data contract the use case consumes.');

const deploymentTarget = z
  .strictObject({
    stage: stageName,
    file: z
      .string()
      .min(1)
      .regex(/^[^/].*\.ya?ml$/, {
        message: 'must be a relative path to a YAML file, e.g. "clinics/pilot/values.yaml"',
      })
      .describe('Path of the YAML file in the GitOps repository that holds the deployed version.'),
    field: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+|\[\d+\])*$/, {
        message: 'must be a dotted field path such as "model.version" or "spec.values.image.tag"',
      })
      .describe('Dotted path of the version field inside that file.'),
  })
  .describe('Where the deployed version of one stage or wave lives.');

const deployment = z
  .strictObject({
    repository: repository.describe('The GitOps repository, org/repo.'),
    branch: z.string().min(1).default('main').describe('The branch deployments are made from.'),
    targets: z.array(deploymentTarget).min(1).describe('One entry per stage or wave.'),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.targets.forEach((t, i) => {
      if (seen.has(t.stage)) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'stage'],
          message: `stage "${t.stage}" is listed twice`,
        });
      }
      seen.add(t.stage);
    });
  })
  .describe('Where the deployed version lives in the GitOps repository.');

const stageVersion = z
  .strictObject({
    stage: stageName,
    version: semverString.describe('The model version running in this stage or wave.'),
  })
  .describe('The version running in one stage or wave.');

const metricResult = z
  .strictObject({
    metric: z.string().min(1).describe('Metric name, e.g. "auroc".'),
    value: z.number().describe('The measured value.'),
    segment: z
      .string()
      .optional()
      .describe('Segment measured, e.g. "race=AfricanAmerican"; overall when omitted.'),
    samples: z.number().int().min(0).optional().describe('Number of samples behind the value.'),
  })
  .describe('One evaluation result.');

const candidate = z
  .strictObject({
    version: semverString.describe('The candidate model version.'),
    evaluation: z
      .strictObject({
        report: uri.optional().describe('Link to the full evaluation report.'),
        evaluatedAt: dateTime.describe('When the evaluation ran.'),
        dataset: z.string().optional().describe('Evaluation data set and cohort.'),
        encounters: z.number().int().min(0).optional().describe('Encounters in the evaluation.'),
        labelledOutcomes: z.number().int().min(0).optional().describe('Labelled outcomes in the evaluation.'),
        results: z.array(metricResult).min(1).describe('Metric values the train gates are held against.'),
      })
      .describe('Evaluation evidence for the candidate.'),
    changeTicket: z.string().optional().describe('Change ticket for the promotion, e.g. "CHG0031245".'),
    rollbackPlan: uri.optional().describe('Link to the rollback plan for this change.'),
    summary: z.string().optional().describe('What changed and why, for the pull request.'),
  })
  .describe('The version proposed for promotion, with its evidence.');

const baselineMetric = z
  .strictObject({
    name: z.string().min(1).describe('Outcome metric, e.g. "denial-rework-hours-per-week".'),
    value: z.number().describe('Value before the use case went live.'),
    unit: z.string().min(1).describe('Unit, e.g. "hours", "USD", "percent", "days".'),
    direction: z.enum(['higher-is-better', 'lower-is-better']).describe('Which way is an improvement.'),
    measuredOver: z.string().optional().describe('Period the baseline covers, e.g. "2025-Q4".'),
  })
  .describe('A baseline outcome metric, for return on investment.');

export const useCaseSpec = z
  .strictObject({
    title: z.string().min(1).max(200).describe('Title of the use case.'),
    description: z.string().optional().describe('What it does, for whom.'),
    ownerTeam: team.describe('The team that owns the use case (org/team).'),
    sponsors: z
      .strictObject({
        clinical: login.optional().describe('Clinical sponsor (GitHub login).'),
        executive: login.describe('Executive sponsor (GitHub login).'),
      })
      .describe('Accountable sponsors.'),
    riskClass,
    intendedUse: z.string().min(1).describe('Intended use, in the words a regulator would read.'),
    contraindications: z
      .array(z.string().min(1))
      .default([])
      .describe('Where the use case must not be used.'),
    knownLimitations: z.array(z.string().min(1)).default([]).describe('Known limitations.'),
    humanOversight,
    model,
    dataContracts: z.array(contractRef).default([]).describe('Data contracts the use case consumes.'),
    releaseTrain: nameRef('ReleaseTrain'),
    surveillancePolicy: nameRef('SurveillancePolicy').optional(),
    signoffPolicy: nameRef('SignoffPolicy'),
    deployment,
    versions: z
      .array(stageVersion)
      .default([])
      .describe('The version declared as running in each stage or wave.'),
    candidate: candidate.optional(),
    readiness: readiness.default({}),
    baselineMetrics: z
      .array(baselineMetric)
      .default([])
      .describe('Outcome baselines, for return on investment.'),
    suspend: z.boolean().default(false).describe('Stop reconciling and promoting; status stays as it was.'),
  })
  .superRefine((s, ctx) => {
    const contracts = new Set<string>();
    s.dataContracts.forEach((c, i) => {
      if (contracts.has(c.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['dataContracts', i, 'name'],
          message: `contract "${c.name}" is listed twice`,
        });
      }
      contracts.add(c.name);
    });
    const stages = new Set<string>();
    s.versions.forEach((v, i) => {
      if (stages.has(v.stage)) {
        ctx.addIssue({
          code: 'custom',
          path: ['versions', i, 'stage'],
          message: `stage "${v.stage}" is listed twice`,
        });
      }
      stages.add(v.stage);
    });
    const riskNeedsClinician =
      s.riskClass === 'clinical-decision-support' || s.riskClass === 'medical-device';
    if (riskNeedsClinician && !s.sponsors.clinical) {
      ctx.addIssue({
        code: 'custom',
        path: ['sponsors', 'clinical'],
        message: `risk class "${s.riskClass}" needs a clinical sponsor`,
      });
    }
  })
  .describe('An AI use case, declared as a product.');

const outcomeValue = z.strictObject({
  metric: z.string().describe('Outcome metric, e.g. "cycle-time-p90-hours".'),
  value: z.number().describe("Its value over the stage's requests."),
  samples: z.number().int().min(0).describe('Requests behind the value.'),
});

const stageEvidence = z
  .strictObject({
    firstSeen: dateTime
      .optional()
      .describe('The first request the version drafted in the stage: where its soak starts.'),
    encounters: z.number().int().min(0).describe('Requests the version drafted in the stage.'),
    labelledOutcomes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Of those, requests with an outcome; absent when the log records no outcome time.'),
    reviewed: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Drafts a person reviewed, of reviewedOf; absent when the log does not say.'),
    reviewedOf: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Drafts whose review was due: those that went out and have a decision.'),
    metrics: z.array(outcomeValue).describe('Outcome metrics measured, for expansion criteria.'),
    unmeasured: z
      .array(
        z.strictObject({
          metric: z.string().describe('Outcome metric.'),
          reason: z.string().describe('Why it has no value.'),
        }),
      )
      .optional()
      .describe('Outcome metrics without a value, and why.'),
    comparison: z
      .strictObject({
        version: z.string().describe("The version compared with, e.g. production's."),
        inputs: z.number().int().min(0).describe('Requests both versions drafted.'),
        metrics: z
          .array(
            z.strictObject({
              metric: z.string().describe('Outcome metric.'),
              candidate: z.number().optional().describe("This stage's version on those requests."),
              other: z.number().optional().describe('The other version on those requests.'),
            }),
          )
          .describe('Each metric for both versions on the same requests.'),
      })
      .optional()
      .describe('The version against another on the same requests, where the log holds both.'),
    problem: z.string().optional().describe('Why nothing could be measured (the log unreadable).'),
  })
  .describe('What the version in a stage has shown on its own requests, measured from the inference log.');

export const useCaseStatus = z
  .strictObject({
    ...statusBase,
    productionVersion: z.string().optional().describe('Version running in the last stage or wave.'),
    candidateVersion: z.string().optional().describe('Candidate version, as last reconciled.'),
    stages: z
      .array(
        z.strictObject({
          stage: z.string().describe('Stage or wave.'),
          version: z.string().optional().describe('Version observed in the GitOps repository.'),
          since: dateTime.optional().describe('When that version was first observed.'),
          evidence: stageEvidence.optional(),
        }),
      )
      .optional()
      .describe('Version observed per stage or wave.'),
    readiness: z.string().optional().describe('Readiness items done, e.g. "6/8".'),
    surveillanceTier: z
      .string()
      .optional()
      .describe('Worst surveillance tier reached by the running version.'),
    waitingOn: z
      .string()
      .optional()
      .describe(
        'The gates the candidate still falls short of for its next stage, in a few words each ("encounters 212 of 400").',
      ),
    currentPromotion: z.string().optional().describe('Name of the open Promotion, if any.'),
    lastRollback: z
      .strictObject({
        promotion: z.string().describe('The rollback Promotion.'),
        version: z.string().describe('Version rolled back to.'),
        at: dateTime.describe('When it merged.'),
      })
      .optional()
      .describe('The last rollback.'),
  })
  .describe('What the controller observed.');

export const UseCase = objectSchema('UseCase', useCaseSpec, useCaseStatus);
export type UseCaseSpec = z.infer<typeof useCaseSpec>;
export type UseCaseSpecInput = z.input<typeof useCaseSpec>;
export type UseCaseStatus = z.infer<typeof useCaseStatus>;

export const useCaseKind: KindDefinition = {
  kind: 'UseCase',
  plural: 'usecases',
  singular: 'usecase',
  shortNames: ['uc'],
  description:
    'An AI use case under change control: its risk class, model, data, release train and sign-off.',
  printerColumns: [
    { name: 'Risk', type: 'string', jsonPath: '.spec.riskClass', description: 'Risk class.' },
    {
      name: 'Production',
      type: 'string',
      jsonPath: '.status.productionVersion',
      description: 'Version in production.',
    },
    {
      name: 'Candidate',
      type: 'string',
      jsonPath: '.spec.candidate.version',
      description: 'Candidate version.',
    },
    {
      name: 'Tier',
      type: 'string',
      jsonPath: '.status.surveillanceTier',
      description: 'Worst surveillance tier.',
    },
    readyColumn,
    reasonColumn,
    {
      name: 'Waiting',
      type: 'string',
      jsonPath: '.status.waitingOn',
      description: 'What the candidate still falls short of for its next stage.',
      priority: 1,
    },
    { name: 'Owner', type: 'string', jsonPath: '.spec.ownerTeam', description: 'Owner team.', priority: 1 },
    ageColumn,
  ],
  spec: useCaseSpec,
  status: useCaseStatus,
  object: UseCase,
};
