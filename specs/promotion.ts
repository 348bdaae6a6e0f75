// Promotion: one attempt to move a use case between stages (or back, for a rollback). Written by the controller only.
import { z } from 'zod';
import {
  ageColumn,
  dateTime,
  type KindDefinition,
  login,
  objectName,
  objectSchema,
  readyColumn,
  statusBase,
} from './common.js';

export const PROMOTION_PHASES = [
  'Pending',
  'Open',
  'SignedOff',
  'Merged',
  'Rejected',
  'Superseded',
  'RolledBack',
] as const;
export type PromotionPhase = (typeof PROMOTION_PHASES)[number];

export const promotionSpec = z
  .strictObject({
    useCase: objectName.describe('The use case being promoted.'),
    type: z
      .enum(['promotion', 'rollback'])
      .describe('Forward to the next stage, or back to the last good version.'),
    trigger: z
      .enum(['train', 'expansion', 'manual', 'surveillance'])
      .describe(
        'What started it: a train departure, met expansion criteria, a person, or a surveillance tier.',
      ),
    releaseTrain: objectName.optional().describe('Train whose departure opened it.'),
    from: z.string().optional().describe('Stage the version comes from; empty for the first stage.'),
    to: z.string().min(1).describe('Stage or wave whose deployed version changes.'),
    version: z.string().min(1).describe('Version to deploy.'),
    previousVersion: z.string().optional().describe('Version deployed there before.'),
    breakGlass: z.boolean().default(false).describe('Allowed to merge on the break-glass roles alone.'),
  })
  .describe('A promotion or rollback, written by the controller.');

const signoff = z.strictObject({
  role: z.string().describe('Role filled.'),
  login: login.describe('Who approved.'),
  at: dateTime.describe('When they approved.'),
  reviewId: z.number().int().optional().describe('Pull request review id.'),
  commit: z.string().optional().describe('Commit the approval was given on.'),
});

export const promotionStatus = z
  .strictObject({
    ...statusBase,
    phase: z.enum(PROMOTION_PHASES).optional().describe('Where the promotion stands.'),
    pullRequest: z
      .strictObject({
        number: z.number().int().describe('Pull request number.'),
        url: z.string().describe('Pull request URL.'),
        branch: z.string().describe('Head branch (deterministic per promotion).'),
        headSha: z.string().optional().describe('Current head commit.'),
        commit: z
          .string()
          .optional()
          .describe(
            'The commit Vigil made on the branch: any other makes the pull request a hand-made change.',
          ),
      })
      .optional()
      .describe('The pull request that carries the change.'),
    gates: z
      .array(
        z.strictObject({
          name: z.string().describe('Gate.'),
          passed: z.boolean().describe('Whether it passed.'),
          message: z.string().describe('Measured against required.'),
        }),
      )
      .optional()
      .describe('Gate results at the time the pull request opened.'),
    signoffs: z.array(signoff).optional().describe('Approvals that counted, by role.'),
    signoffSummary: z.string().optional().describe('Roles filled of roles required, e.g. "2/3".'),
    policyRevision: z
      .string()
      .optional()
      .describe('Git commit of the SignoffPolicy in force at decision time.'),
    evidenceDigest: z.string().optional().describe('sha256 of the evidence bundle in the pull request body.'),
    breakGlass: z
      .strictObject({
        by: login.describe('Who approved under break-glass.'),
        at: dateTime.describe('When.'),
        retrospectiveDue: dateTime.describe('When the retrospective sign-off is due.'),
        retrospectiveDoneAt: dateTime.optional().describe('When it was completed.'),
      })
      .optional()
      .describe('Break-glass record.'),
    mergedAt: dateTime.optional().describe('When the pull request merged.'),
    closedAt: dateTime.optional().describe('When the pull request closed without merging.'),
  })
  .describe('What the controller observed.');

export const Promotion = objectSchema('Promotion', promotionSpec, promotionStatus);
export type PromotionSpec = z.infer<typeof promotionSpec>;
export type PromotionStatus = z.infer<typeof promotionStatus>;

export const promotionKind: KindDefinition = {
  kind: 'Promotion',
  plural: 'promotions',
  singular: 'promotion',
  shortNames: ['promo'],
  description:
    'One attempt to move a use case to a stage or wave, or back; written by the controller, never by hand.',
  printerColumns: [
    { name: 'Use Case', type: 'string', jsonPath: '.spec.useCase', description: 'Use case.' },
    { name: 'From', type: 'string', jsonPath: '.spec.from', description: 'From stage.' },
    { name: 'To', type: 'string', jsonPath: '.spec.to', description: 'To stage.' },
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Version.' },
    { name: 'PR', type: 'integer', jsonPath: '.status.pullRequest.number', description: 'Pull request.' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Phase.' },
    {
      name: 'Sign-offs',
      type: 'string',
      jsonPath: '.status.signoffSummary',
      description: 'Roles filled / required.',
    },
    { ...readyColumn, priority: 1 },
    ageColumn,
  ],
  spec: promotionSpec,
  status: promotionStatus,
  object: Promotion,
};
