// SignoffPolicy: who must approve a change, by risk class, and the rules an approval must meet to count.
import { z } from 'zod';
import {
  ageColumn,
  duration,
  type KindDefinition,
  objectSchema,
  readyColumn,
  reasonColumn,
  repository,
  statusBase,
  team,
} from './common.js';
import { RISK_CLASSES, riskClass } from './usecase.js';

const roleName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message: 'must be a lowercase role name such as "clinical-safety"',
  })
  .describe('Role name, e.g. "clinical-safety".');

const role = z
  .strictObject({
    name: roleName,
    team: team.describe('GitHub team whose active members may fill the role (org/team).'),
    description: z.string().optional().describe('What the role vouches for when it approves.'),
  })
  .describe('A sign-off role and the team that fills it.');

const requirement = z
  .strictObject({
    riskClass,
    roles: z.array(roleName).min(1).describe('Roles that must each approve a change of this risk class.'),
  })
  .describe('The roles a risk class requires.');

export const signoffPolicySpec = z
  .strictObject({
    roles: z.array(role).min(1).describe('The roles that can sign off.'),
    requirements: z.array(requirement).min(1).describe('Which roles each risk class requires.'),
    rules: z
      .strictObject({
        dismissOnPush: z.boolean().default(true).describe('A push after an approval invalidates it.'),
        authorCannotApprove: z
          .boolean()
          .default(true)
          .describe('The pull request author cannot fill a role.'),
        committersCannotApprove: z
          .boolean()
          .default(true)
          .describe('Anyone with a commit in the change cannot fill a role.'),
        separationOfDuties: z.boolean().default(true).describe('One person fills at most one role.'),
        approvalExpiry: duration
          .optional()
          .describe('An approval older than this no longer counts, e.g. "14d".'),
        requireVerifiedCommits: z
          .boolean()
          .optional()
          .describe(
            'Every commit must carry a verified signature or a pusher Vigil saw, or the change cannot be signed off. Default: on for clinical-decision-support and medical-device, off otherwise.',
          ),
        objectionsDismissibleBy: z
          .array(roleName)
          .default([])
          .describe(
            'Roles whose members may lift another reviewer\'s "changes requested" by dismissing it; otherwise only the reviewer lifts it, by approving.',
          ),
      })
      .default({
        dismissOnPush: true,
        authorCannotApprove: true,
        committersCannotApprove: true,
        separationOfDuties: true,
        objectionsDismissibleBy: [],
      })
      .describe('Rules an approval must meet to count.'),
    breakGlass: z
      .strictObject({
        roles: z.array(roleName).min(1).describe('Roles whose approval alone lets a rollback merge.'),
        retrospectiveWithin: duration.describe(
          'Time allowed for the usual roles to sign off afterwards, e.g. "72h".',
        ),
      })
      .optional()
      .describe('Emergency rollbacks: merged on one role, signed off by the usual roles afterwards.'),
    enforcement: z
      .strictObject({
        repository: repository.describe('Repository whose merges the policy gates.'),
        branch: z.string().min(1).default('main').describe('Protected branch.'),
        checkName: z.string().min(1).default('vigil/sign-off').describe('Name of the required check.'),
      })
      .describe('Where the gate is enforced.'),
    governance: z
      .strictObject({
        repository: repository.describe(
          'Repository holding this policy and its use cases as YAML, org/repo.',
        ),
        branch: z
          .string()
          .min(1)
          .default('main')
          .describe('Branch whose pull requests change what is in force.'),
        paths: z
          .array(
            z
              .string()
              .min(1)
              .regex(/^[^/]/, { message: 'must be a relative path prefix, e.g. "care-management/"' }),
          )
          .min(1)
          .optional()
          .describe(
            'Path prefixes of the files it governs there, e.g. "care-management/"; every file when absent.',
          ),
        roles: z
          .array(roleName)
          .min(1)
          .optional()
          .describe(
            'Roles that must sign off any change to this policy or to the use cases under it. Default: the compliance role (when defined), plus the owner team of each changed use case.',
          ),
      })
      .optional()
      .describe(
        'Where this policy lives as YAML, and who signs off changes to it: a change to governance needs the sign-off of the policy in force.',
      ),
  })
  .superRefine((p, ctx) => {
    const defined = new Set<string>();
    p.roles.forEach((r, i) => {
      if (defined.has(r.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['roles', i, 'name'],
          message: `role "${r.name}" is defined twice`,
        });
      }
      defined.add(r.name);
    });
    const classes = new Set<string>();
    p.requirements.forEach((req, i) => {
      if (classes.has(req.riskClass)) {
        ctx.addIssue({
          code: 'custom',
          path: ['requirements', i, 'riskClass'],
          message: `risk class "${req.riskClass}" has two requirements`,
        });
      }
      classes.add(req.riskClass);
      req.roles.forEach((name, j) => {
        if (!defined.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['requirements', i, 'roles', j],
            message: `role "${name}" is not defined in spec.roles (defined: ${[...defined].join(', ')})`,
          });
        }
      });
    });
    p.rules.objectionsDismissibleBy.forEach((name, j) => {
      if (!defined.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', 'objectionsDismissibleBy', j],
          message: `role "${name}" is not defined in spec.roles (defined: ${[...defined].join(', ')})`,
        });
      }
    });
    p.breakGlass?.roles.forEach((name, j) => {
      if (!defined.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['breakGlass', 'roles', j],
          message: `role "${name}" is not defined in spec.roles (defined: ${[...defined].join(', ')})`,
        });
      }
    });
    p.governance?.roles?.forEach((name, j) => {
      if (!defined.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['governance', 'roles', j],
          message: `role "${name}" is not defined in spec.roles (defined: ${[...defined].join(', ')})`,
        });
      }
    });
  })
  .describe('Who must approve a change, by risk class, and the rules an approval must meet.');

export const signoffPolicyStatus = z
  .strictObject({
    ...statusBase,
    enforced: z
      .boolean()
      .optional()
      .describe(
        "Whether the branch really holds the gate: the check required from Vigil's App, administrators included, no bypass, pull requests only, no force push, review dismissals restricted.",
      ),
    enforcedBy: z.string().optional().describe('What enforces it: branch protection, a ruleset, or both.'),
    missingProtection: z
      .array(z.string())
      .optional()
      .describe('The settings the branch lacks for the gate to hold, e.g. enforce-admins, no-force-push.'),
    protectionGaps: z
      .array(
        z.strictObject({
          setting: z.string().describe('The missing setting.'),
          message: z.string().describe("What is missing and how to set it in GitHub's settings or API."),
        }),
      )
      .optional()
      .describe('Each missing setting and how to set it.'),
    teams: z
      .array(
        z.strictObject({
          role: z.string().describe('Role.'),
          team: z.string().describe('Team.'),
          members: z.number().int().min(0).optional().describe('Active members.'),
          resolved: z.boolean().describe('Whether the team was found.'),
        }),
      )
      .optional()
      .describe('Teams behind each role, as resolved at the forge.'),
    revision: z.string().optional().describe('Git commit of the policy file in force.'),
  })
  .describe('What the controller observed.');

export const SignoffPolicy = objectSchema('SignoffPolicy', signoffPolicySpec, signoffPolicyStatus);
export type SignoffPolicySpec = z.infer<typeof signoffPolicySpec>;
export type SignoffPolicyStatus = z.infer<typeof signoffPolicyStatus>;
export { RISK_CLASSES };

export const signoffPolicyKind: KindDefinition = {
  kind: 'SignoffPolicy',
  plural: 'signoffpolicies',
  singular: 'signoffpolicy',
  shortNames: ['so'],
  description:
    'Sign-off roles mapped to teams, the roles each risk class requires, and the rules approvals must meet.',
  printerColumns: [
    {
      name: 'Repository',
      type: 'string',
      jsonPath: '.spec.enforcement.repository',
      description: 'Gated repository.',
    },
    { name: 'Branch', type: 'string', jsonPath: '.spec.enforcement.branch', description: 'Gated branch.' },
    {
      name: 'Enforced',
      type: 'boolean',
      jsonPath: '.status.enforced',
      description: "Branch holds the gate: check pinned to Vigil's App, no one may bypass it.",
    },
    {
      name: 'Missing',
      type: 'string',
      jsonPath: '.status.missingProtection',
      description: 'Settings the branch lacks for the gate to hold.',
    },
    readyColumn,
    reasonColumn,
    ageColumn,
  ],
  spec: signoffPolicySpec,
  status: signoffPolicyStatus,
  object: SignoffPolicy,
};
