// SurveillancePolicy: post-market surveillance of a deployed model, with tiers of degradation and an action each.
import { z } from 'zod';
import {
  ageColumn,
  dateTime,
  duration,
  type KindDefinition,
  objectName,
  objectSchema,
  parseDuration,
  readyColumn,
  reasonColumn,
  statusBase,
} from './common.js';

export const TIER_ACTIONS = ['notify', 'review', 'rollback'] as const;
export type TierAction = (typeof TIER_ACTIONS)[number];

export const METRIC_KINDS = [
  'performance',
  'calibration',
  'drift',
  'bias-gap',
  'override-rate',
  'data-quality',
] as const;

const tier = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .optional()
      .describe('Tier name shown in status, e.g. "amber"; the action when omitted.'),
    at: z
      .number()
      .min(0)
      .describe(
        'Degradation that reaches this tier: percent worse than baseline (relative) or the statistic itself.',
      ),
    action: z
      .enum(TIER_ACTIONS)
      .describe(
        'notify: event and alert; review: open a governance review issue; rollback: open a rollback pull request.',
      ),
  })
  .describe('A tier of degradation and what happens when it is reached.');

const driftSource = z
  .strictObject({
    statistic: z.enum(['psi', 'ks']).describe('Population stability index or Kolmogorov-Smirnov distance.'),
    column: z.string().min(1).describe('Score or feature column compared between windows.'),
    baselineWindow: duration.describe('Length of the baseline window, ending where the current one starts.'),
    currentWindow: duration.describe('Length of the current window, ending now.'),
    bins: z.number().int().min(2).max(100).default(10).describe('Bins for PSI.'),
  })
  .describe('A built-in drift statistic between a baseline and a current window.');

export const BUILTIN_STATISTICS = [
  'auroc',
  'expected-calibration-error',
  'brier',
  'psi',
  'ks',
  'subgroup-gap',
  'override-rate',
  'missing-share',
  'volume',
] as const;
export type BuiltinStatistic = (typeof BUILTIN_STATISTICS)[number];
/** What a subgroup gap compares between segments. */
export const SUBGROUP_STATISTICS = ['auroc', 'expected-calibration-error', 'brier', 'override-rate'] as const;

const flag = z
  .strictObject({
    column: z.string().min(1).describe('Column holding the outcome or flag, read as text.'),
    positive: z
      .array(z.string())
      .min(1)
      .optional()
      .describe(
        'Values (as text) that count as positive; any other value is negative. When omitted the column must hold true/false or 1/0, and anything else is out of range.',
      ),
  })
  .describe('A yes/no column: the values that mean yes.');

const range = z
  .strictObject({
    min: z.number().describe('Smallest value accepted.'),
    max: z.number().describe('Largest value accepted.'),
  })
  .refine((r) => r.min <= r.max, { message: 'min must not be greater than max', path: ['min'] })
  .describe('Values outside [min, max] are excluded from the metric and counted as out of range.');

const builtinSource = z
  .strictObject({
    statistic: z
      .enum(BUILTIN_STATISTICS)
      .describe('The built-in metric; docs/surveillance-metrics.md gives the definition of each.'),
    score: z
      .string()
      .min(1)
      .optional()
      .describe('Column holding the predicted probability (auroc, expected-calibration-error, brier).'),
    scoreRange: range
      .default({ min: 0, max: 1 })
      .describe('Scores outside this range are excluded and counted; a probability lies in 0..1.'),
    label: flag.optional().describe('The observed outcome; rows without one are unlabelled and excluded.'),
    override: flag.optional().describe('override-rate: the column saying a person overrode the model.'),
    column: z
      .string()
      .min(1)
      .optional()
      .describe('psi, ks: the score or feature compared between windows; missing-share: the column watched.'),
    range: range.optional().describe('psi, ks: values outside it are excluded and counted.'),
    of: z
      .enum(SUBGROUP_STATISTICS)
      .optional()
      .describe('subgroup-gap: the statistic compared between the segments of the metric.'),
    reference: z
      .number()
      .optional()
      .describe(
        "subgroup-gap: the statistic's validated value each segment is held against; the overall value in the window when omitted.",
      ),
    bins: z
      .number()
      .int()
      .min(2)
      .max(100)
      .default(10)
      .describe('psi: baseline quantile bins; expected-calibration-error: equal-width bins over 0..1.'),
    window: duration
      .default('30d')
      .describe('Length of the window read (the current window for psi and ks).'),
    lag: duration
      .default('0s')
      .describe('How long before now the window ends, for outcomes that take time to mature.'),
    baselineWindow: duration
      .optional()
      .describe('psi, ks: length of the baseline window, ending where the current one starts.'),
  })
  .superRefine((b, ctx) => {
    const need = (field: keyof typeof b, why: string) => {
      if (b[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${why} needs ${field}` });
      }
    };
    const stat = b.statistic === 'subgroup-gap' ? b.of : b.statistic;
    if (b.statistic === 'subgroup-gap') need('of', 'subgroup-gap');
    if (stat === 'auroc' || stat === 'expected-calibration-error' || stat === 'brier') {
      need('score', stat);
      need('label', stat);
    }
    if (stat === 'override-rate') need('override', 'override-rate');
    if (stat === 'psi' || stat === 'ks') {
      need('column', stat);
      need('baselineWindow', stat);
    }
    if (stat === 'missing-share') need('column', 'missing-share');
  })
  .describe(
    'A built-in metric over named columns of the inference log, computed by the engine that holds it.',
  );

export const PROMETHEUS_REDUCTIONS = ['mean', 'min', 'max', 'last'] as const;

const prometheusRange = z
  .strictObject({
    window: duration.describe('How far back the range reaches, ending at the evaluation time, e.g. "7d".'),
    step: duration
      .default('5m')
      .describe('Resolution: one point per step. Prometheus refuses more than 11,000 points per series.'),
    reduce: z
      .enum(PROMETHEUS_REDUCTIONS)
      .default('mean')
      .describe(
        'How the points become one value: mean, min, max, or last (the newest point). NaN points are left out.',
      ),
  })
  .refine((r) => (parseDuration(r.step) ?? 0) > 0, {
    message: 'must be longer than 0s',
    path: ['step'],
  })
  .refine((r) => (parseDuration(r.window) ?? 0) / Math.max(parseDuration(r.step) ?? 1, 1) <= 11_000, {
    message: 'window / step must give at most 11000 points, the most Prometheus returns per series',
    path: ['step'],
  })
  .describe('A range read of a prometheus query, reduced to one value.');

const metricSource = z
  .strictObject({
    sql: z
      .string()
      .min(1)
      .optional()
      .describe('SQL over the inference log returning columns value and samples.'),
    prometheus: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A PromQL query returning one series (or, with segments, one per segment value, labelled by the segment column).',
      ),
    samplesQuery: z
      .string()
      .min(1)
      .optional()
      .describe(
        'prometheus: a PromQL query returning how many observations the value rests on, e.g. sum(increase(requests_total[7d])); the value is judged only when it reaches minSamples. Without it Prometheus gives no count, and the value is judged as read.',
      ),
    rangeQuery: prometheusRange
      .optional()
      .describe(
        'prometheus: read the query over a range (query_range) and reduce its points to one value, instead of at one instant.',
      ),
    drift: driftSource.optional(),
    builtin: builtinSource.optional(),
  })
  .superRefine((s, ctx) => {
    const set = [s.sql, s.prometheus, s.drift, s.builtin].filter((v) => v !== undefined).length;
    if (set !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `a metric source needs exactly one of sql, prometheus, drift or builtin; found ${set}`,
      });
    }
    for (const field of ['samplesQuery', 'rangeQuery'] as const) {
      if (s[field] !== undefined && s.prometheus === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} belongs to a prometheus source; this source has no prometheus query`,
        });
      }
    }
  })
  .describe('Where the metric value comes from.');

const metric = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a lowercase name such as "auroc"' })
      .describe('Metric name, e.g. "auroc".'),
    kind: z.enum(METRIC_KINDS).describe('What the metric watches.'),
    source: metricSource,
    baseline: z.number().optional().describe('Value at validation; degradation is measured against it.'),
    direction: z
      .enum(['higher-is-better', 'lower-is-better'])
      .describe('Which way is better; degradation is movement the other way.'),
    degradation: z
      .enum(['relative', 'absolute'])
      .default('relative')
      .describe('relative: percent worse than baseline; absolute: the value itself (e.g. a PSI or a gap).'),
    segments: z
      .array(z.string().min(1))
      .default([])
      .describe('Columns to evaluate per segment, e.g. "payer", "site".'),
    minSamples: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe(
        'Below this many samples (in either window, for psi and ks) the metric is insufficient data: shown, never judged.',
      ),
    tiers: z.array(tier).min(1).describe('Tiers in strictly ascending order of degradation.'),
  })
  .superRefine((m, ctx) => {
    for (let i = 1; i < m.tiers.length; i++) {
      const prev = m.tiers[i - 1]!;
      const cur = m.tiers[i]!;
      if (cur.at <= prev.at) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'at'],
          message: `tiers must be strictly ascending: tier ${i} is at ${cur.at}, not above tier ${i - 1} at ${prev.at}`,
        });
      }
      if (TIER_ACTIONS.indexOf(cur.action) < TIER_ACTIONS.indexOf(prev.action)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i, 'action'],
          message: `a higher tier must not take a milder action: "${cur.action}" after "${prev.action}"`,
        });
      }
    }
    if (m.degradation === 'relative') {
      if (m.baseline === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['baseline'],
          message: 'relative degradation needs a baseline',
        });
      } else if (m.baseline === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['baseline'],
          message:
            'relative degradation cannot be measured against a baseline of 0; use degradation: absolute',
        });
      }
      m.tiers.forEach((t, i) => {
        if (t.at > 100) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', i, 'at'],
            message: `relative degradation is a percentage from 0 to 100; found ${t.at}`,
          });
        }
      });
    }
    if (m.source.builtin?.statistic === 'subgroup-gap' && m.segments.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['segments'],
        message: 'a subgroup-gap compares segments; list the segment columns in segments',
      });
    }
    if (m.source.drift && m.kind !== 'drift') {
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `a drift source needs kind "drift"; found "${m.kind}"`,
      });
    }
  })
  .describe('One surveilled metric.');

export const surveillancePolicySpec = z
  .strictObject({
    interval: duration.default('1h').describe('How often the metrics are evaluated.'),
    inferenceLog: z
      .strictObject({
        uri: z
          .string()
          .min(1)
          .describe('Inference log location: a file path or glob (CSV, Parquet, JSON) or a URI.'),
        format: z
          .enum(['csv', 'parquet', 'json'])
          .optional()
          .describe('Format; from the extension when omitted.'),
        timestampColumn: z.string().default('scored_at').describe('Column holding when each row was scored.'),
        versionColumn: z.string().default('model_version').describe('Column holding the model version.'),
      })
      .optional()
      .describe('Where SQL and drift metrics read from; the table is named inference_log in SQL.'),
    prometheusUrl: z
      .string()
      .regex(/^https?:\/\/[^\s/]/, { message: 'must be an http:// or https:// URL' })
      .optional()
      .describe(
        "Prometheus HTTP API base URL for prometheus sources; the controller's --prometheus-url when omitted.",
      ),
    metrics: z.array(metric).min(1).describe('Metrics to watch.'),
  })
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    p.metrics.forEach((m, i) => {
      if (names.has(m.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'name'],
          message: `metric "${m.name}" is listed twice`,
        });
      }
      names.add(m.name);
      if ((m.source.sql || m.source.drift || m.source.builtin) && !p.inferenceLog) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'source'],
          message: 'sql, drift and builtin sources read the inference log; set spec.inferenceLog',
        });
      }
    });
  })
  .describe('Post-market surveillance of the deployed version.');

const metricStatus = z.strictObject({
  name: z.string().describe('Metric.'),
  segment: z.string().optional().describe('Segment, when evaluated per segment.'),
  value: z.number().optional().describe('Last value.'),
  baseline: z.number().optional().describe('Baseline.'),
  degradation: z.number().optional().describe('Degradation, as used for tiers.'),
  samples: z.number().int().optional().describe('Samples behind the value (the current window for psi, ks).'),
  baselineSamples: z.number().int().optional().describe('psi, ks: samples in the baseline window.'),
  excluded: z
    .strictObject({
      missing: z.number().int().describe('Rows whose value is missing.'),
      nan: z.number().int().describe('Rows whose value is NaN or not a number.'),
      outOfRange: z.number().int().describe('Rows whose value is outside its range or not a readable flag.'),
      unlabelled: z.number().int().describe('Rows with no outcome yet.'),
    })
    .optional()
    .describe('Rows of the window left out of a builtin metric, by why.'),
  tier: z.string().optional().describe('Tier reached; none when healthy.'),
  since: dateTime.optional().describe('Since when the tier has held.'),
});

const stageMetric = z.strictObject({
  name: z.string().describe('Metric.'),
  segment: z.string().optional().describe('Segment; only segments that reached a tier are listed.'),
  value: z.number().optional().describe("Last value over the version's own rows."),
  degradation: z.number().optional().describe('Degradation, as used for tiers.'),
  samples: z.number().int().optional().describe('Samples behind the value (the current window for psi, ks).'),
  baselineSamples: z.number().int().optional().describe('psi, ks: samples in the baseline window.'),
  tier: z.string().optional().describe('Tier reached; none when healthy; absent while below minSamples.'),
  since: dateTime.optional().describe('Since when the tier has held.'),
});

const stageStatus = z
  .strictObject({
    stage: z.string().describe('Stage or wave, as on the release train.'),
    version: z.string().describe('The version it runs, as the use case observed it.'),
    production: z
      .boolean()
      .describe(
        "Whether it runs production's version: then status.metrics are its readings and the tiers act (notify, review, rollback). A candidate's breach only notifies.",
      ),
    worstTier: z
      .string()
      .optional()
      .describe('Worst action reached by its metrics: none, notify, review or rollback.'),
    breached: z.boolean().optional().describe('Whether any metric of the version has reached a tier.'),
    metrics: z
      .array(stageMetric)
      .optional()
      .describe(
        "A candidate's readings over its own rows of the log: each metric overall, and segments that reached a tier.",
      ),
    comparison: z
      .strictObject({
        version: z.string().describe("The version compared with: production's."),
        inputs: z.number().int().min(0).describe('Requests (or encounters) both versions scored.'),
        metrics: z
          .array(
            z.strictObject({
              name: z.string().describe('Metric.'),
              candidate: z.number().optional().describe("This stage's version on those requests."),
              production: z.number().optional().describe("Production's version on the same requests."),
              samples: z.number().int().optional().describe("Samples behind the candidate's value."),
            }),
          )
          .describe('Each metric for both versions on the same requests, overall.'),
        problem: z
          .string()
          .optional()
          .describe('Why the versions could not be compared on the same requests.'),
      })
      .optional()
      .describe(
        "A candidate against production's version on the requests both scored (silent or shadow mode).",
      ),
    problem: z.string().optional().describe("Why the version's metrics could not be read."),
  })
  .describe('The version a stage runs and what surveillance found for it.');

export const surveillancePolicyStatus = z
  .strictObject({
    ...statusBase,
    lastEvaluated: dateTime.optional().describe('When the metrics were last evaluated.'),
    worstTier: z.string().optional().describe("Worst tier reached across metrics by production's version."),
    candidateTier: z
      .string()
      .optional()
      .describe(
        'Worst action reached by a version that runs in a stage before production (silent, shadow, a pilot wave): none, notify, review or rollback; it only notifies.',
      ),
    metrics: z.array(metricStatus).optional().describe("Per metric (and segment), for production's version."),
    stages: z
      .array(stageStatus)
      .optional()
      .describe(
        'Per stage of the use case that names the policy, the version it runs and what its metrics show, in train order.',
      ),
    actions: z
      .array(
        z.strictObject({
          at: dateTime.describe('When.'),
          metric: z.string().describe('Metric.'),
          tier: z.string().describe('Tier.'),
          action: z.enum(TIER_ACTIONS).describe('Action taken.'),
          useCase: objectName.optional().describe('Use case acted on.'),
          reference: z.string().optional().describe('Issue or pull request URL, or Event name.'),
          issue: z
            .strictObject({
              repository: z.string().describe('Repository the review issue is in, org/repo.'),
              number: z.number().int().describe('Issue number.'),
              url: z.string().describe('Issue URL.'),
              closedAt: dateTime.optional().describe('When Vigil closed it, the breach having cleared.'),
            })
            .optional()
            .describe('review: the governance review issue this breach opened (or found open).'),
          cleared: z
            .strictObject({
              at: dateTime.describe('When a judged reading was back below the first tier.'),
              value: z.number().optional().describe('The value read then.'),
            })
            .optional()
            .describe('When the breach cleared; absent while it lasts.'),
          rollbacks: z
            .array(
              z.strictObject({
                name: objectName.describe('Promotion name.'),
                uid: z
                  .string()
                  .min(1)
                  .describe('Promotion uid: a Promotion re-made under that name is not it.'),
                stage: z.string().describe('Stage rolled back.'),
                version: z.string().describe('Version rolled back to.'),
              }),
            )
            .optional()
            .describe(
              'Rollback Promotions the controller created for this breach; only these may use break-glass.',
            ),
        }),
      )
      .optional()
      .describe('Actions taken, newest last.'),
  })
  .describe('What the controller observed.');

export const SurveillancePolicy = objectSchema(
  'SurveillancePolicy',
  surveillancePolicySpec,
  surveillancePolicyStatus,
);
export type SurveillancePolicySpec = z.infer<typeof surveillancePolicySpec>;
export type SurveillancePolicyStatus = z.infer<typeof surveillancePolicyStatus>;

export const surveillancePolicyKind: KindDefinition = {
  kind: 'SurveillancePolicy',
  plural: 'surveillancepolicies',
  singular: 'surveillancepolicy',
  shortNames: ['sp'],
  description:
    'Post-market surveillance: metrics, baselines, segments and tiers of degradation with their actions.',
  printerColumns: [
    { name: 'Interval', type: 'string', jsonPath: '.spec.interval', description: 'Evaluation interval.' },
    {
      name: 'Worst',
      type: 'string',
      jsonPath: '.status.worstTier',
      description: "Worst tier reached by production's version.",
    },
    {
      name: 'Candidate',
      type: 'string',
      jsonPath: '.status.candidateTier',
      description: 'Worst action reached by a version in an earlier stage (silent, shadow, pilot).',
    },
    { name: 'Evaluated', type: 'date', jsonPath: '.status.lastEvaluated', description: 'Last evaluation.' },
    readyColumn,
    reasonColumn,
    ageColumn,
  ],
  spec: surveillancePolicySpec,
  status: surveillancePolicyStatus,
  object: SurveillancePolicy,
};
