// ReleaseTrain: a time-boxed promotion cadence and the ordered stages or waves a change rides through.
import { z } from 'zod';
import {
  ageColumn,
  cronExpression,
  dateTime,
  duration,
  type KindDefinition,
  objectName,
  objectSchema,
  percent,
  readyColumn,
  reasonColumn,
  regexString,
  stageName,
  statusBase,
  threshold,
  timeZone,
} from './common.js';

const denyWindow = z
  .strictObject({
    name: z.string().min(1).describe('What the window protects, e.g. "ehr-maintenance" or "flu-season".'),
    reason: z.string().optional().describe('Why no change may depart in this window.'),
    from: dateTime.optional().describe('Start of a one-off window.'),
    to: dateTime.optional().describe('End of a one-off window.'),
    cron: cronExpression.optional().describe('Start of a recurring window, as cron in the train time zone.'),
    duration: duration.optional().describe('Length of a recurring window, e.g. "6h".'),
  })
  .superRefine((w, ctx) => {
    const oneOff = w.from !== undefined || w.to !== undefined;
    const recurring = w.cron !== undefined || w.duration !== undefined;
    if (oneOff && recurring) {
      ctx.addIssue({
        code: 'custom',
        path: ['cron'],
        message: 'a deny window is either from/to or cron/duration, not both',
      });
      return;
    }
    if (!oneOff && !recurring) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: 'a deny window needs from and to, or cron and duration',
      });
      return;
    }
    if (oneOff) {
      if (w.from === undefined)
        ctx.addIssue({ code: 'custom', path: ['from'], message: 'a one-off window needs from' });
      if (w.to === undefined)
        ctx.addIssue({ code: 'custom', path: ['to'], message: 'a one-off window needs to' });
      if (w.from !== undefined && w.to !== undefined && Date.parse(w.from) >= Date.parse(w.to)) {
        ctx.addIssue({
          code: 'custom',
          path: ['to'],
          message: `to (${w.to}) must be after from (${w.from})`,
        });
      }
    } else {
      if (w.cron === undefined)
        ctx.addIssue({ code: 'custom', path: ['cron'], message: 'a recurring window needs cron' });
      if (w.duration === undefined) {
        ctx.addIssue({ code: 'custom', path: ['duration'], message: 'a recurring window needs duration' });
      }
    }
  })
  .describe('A period in which no promotion departs: EHR maintenance, a seasonal peak, a freeze.');

const expansionCriterion = z
  .strictObject({
    metric: z
      .string()
      .min(1)
      .describe('Operational metric measured in the current wave, e.g. "cycle-time-p90-hours".'),
    min: z.number().optional().describe('The measured value must be at least this.'),
    max: z.number().optional().describe('The measured value must be at most this.'),
    maxRegressionPercent: percent
      .optional()
      .describe('The value may be at most this many percent worse than the use case baseline.'),
  })
  .superRefine((c, ctx) => {
    if (c.min === undefined && c.max === undefined && c.maxRegressionPercent === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: 'a criterion needs min, max or maxRegressionPercent',
      });
    }
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `min (${c.min}) must not be greater than max (${c.max})`,
      });
    }
  })
  .describe('A condition the current wave must meet before the next wave opens.');

const gates = z
  .strictObject({
    evaluation: z
      .array(threshold)
      .default([])
      .describe('Evaluation thresholds the candidate evidence must meet.'),
    minSoak: duration.optional().describe('Minimum time in the previous stage before entering this one.'),
    minEncounters: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Minimum encounters seen in the previous stage.'),
    minLabelledOutcomes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Minimum labelled outcomes from the previous stage.'),
    expansion: z
      .array(expansionCriterion)
      .default([])
      .describe('Expansion criteria measured in the previous wave.'),
  })
  .describe('Entry gates of a stage or wave.');

const stage = z
  .strictObject({
    name: stageName.describe('Stage or wave name, e.g. "pilot-clinic".'),
    description: z
      .string()
      .optional()
      .describe('What the stage covers, e.g. "Riverside Family Clinic only".'),
    sites: z.number().int().min(1).optional().describe('Number of sites or clinics in the wave.'),
    within: duration.optional().describe('Target time from the previous wave to this one, e.g. "60d".'),
    gates: gates.default({ evaluation: [], expansion: [] }),
  })
  .describe('One stage or wave, in order.');

export const releaseTrainSpec = z
  .strictObject({
    schedule: z
      .strictObject({
        cron: cronExpression.describe(
          'When the train departs, e.g. "0 6 1 * *" (06:00 on the 1st of the month).',
        ),
        timeZone: timeZone.default('UTC'),
      })
      .describe('When the train departs.'),
    cutoff: duration.default('72h').describe('Candidates must be ready this long before departure to board.'),
    denyWindows: z.array(denyWindow).default([]).describe('Periods in which the train does not depart.'),
    stages: z.array(stage).min(1).describe('Ordered stages or waves; a change enters each in turn.'),
    changeTicketPattern: regexString
      .optional()
      .describe('Pattern a candidate change ticket must match, e.g. "^CHG[0-9]{7}$".'),
    rollbackPlanRequired: z
      .boolean()
      .default(true)
      .describe('A candidate must link a rollback plan to board.'),
    pullRequestTemplate: z
      .string()
      .optional()
      .describe(
        'Name of a ConfigMap holding a Handlebars template for promotion pull requests; the default otherwise.',
      ),
    suspend: z.boolean().default(false).describe('Hold the train: it does not depart while suspended.'),
  })
  .superRefine((t, ctx) => {
    const names = new Set<string>();
    t.stages.forEach((s, i) => {
      if (names.has(s.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'name'],
          message: `stage "${s.name}" is listed twice`,
        });
      }
      names.add(s.name);
    });
  })
  .describe('A release train: when promotions depart and the stages they go through.');

const promotionRef = z.strictObject({
  promotion: objectName.describe('Promotion name.'),
  useCase: objectName.describe('Use case.'),
  to: z.string().describe('Stage entered.'),
});

export const releaseTrainStatus = z
  .strictObject({
    ...statusBase,
    nextDeparture: dateTime.optional().describe('Next departure, after deny windows.'),
    cutoffAt: dateTime.optional().describe('Boarding closes at this time.'),
    passengerCount: z.number().int().min(0).optional().describe('Use cases with a candidate on board.'),
    passengers: z
      .array(
        z.strictObject({
          useCase: objectName.describe('Use case.'),
          version: z.string().describe('Candidate version.'),
          to: z.string().describe('Stage it will enter.'),
          boarding: z.boolean().describe('Whether its gates pass now.'),
          reason: z.string().optional().describe('Why it is not boarding.'),
        }),
      )
      .optional()
      .describe('Use cases with a candidate.'),
    lastDeparture: z
      .strictObject({
        at: dateTime.describe('When the train departed.'),
        promotions: z.array(promotionRef).describe('Promotions opened.'),
      })
      .optional()
      .describe('The last departure.'),
  })
  .describe('What the controller observed.');

export const ReleaseTrain = objectSchema('ReleaseTrain', releaseTrainSpec, releaseTrainStatus);
export type ReleaseTrainSpec = z.infer<typeof releaseTrainSpec>;
export type ReleaseTrainStatus = z.infer<typeof releaseTrainStatus>;

export const releaseTrainKind: KindDefinition = {
  kind: 'ReleaseTrain',
  plural: 'releasetrains',
  singular: 'releasetrain',
  shortNames: ['rt'],
  description:
    'A promotion cadence: schedule, cut-off, deny windows and the ordered stages or waves with their gates.',
  printerColumns: [
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule.cron', description: 'Departure schedule.' },
    {
      name: 'Zone',
      type: 'string',
      jsonPath: '.spec.schedule.timeZone',
      description: 'Time zone.',
      priority: 1,
    },
    { name: 'Next', type: 'string', jsonPath: '.status.nextDeparture', description: 'Next departure.' },
    {
      name: 'Passengers',
      type: 'integer',
      jsonPath: '.status.passengerCount',
      description: 'Candidates on board.',
    },
    readyColumn,
    reasonColumn,
    ageColumn,
  ],
  spec: releaseTrainSpec,
  status: releaseTrainStatus,
  object: ReleaseTrain,
};
