// The sign-off gate as the Promotion reconciler calls it. The gate proper (controller/src/gate) evaluates the
// policy on every pull request event and posts the `vigil/sign-off` check; until it is wired, DirectSignoffGate
// does the same from evaluateSignoff and renderCheckRun, behind this one interface, so swapping is one line.
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import { type Forge, NotFoundError } from '../forge/forge.js';
import {
  evaluateSignoff,
  renderCheckRun,
  type SignoffResult,
  type TeamMembership,
} from '../signoff/index.js';

export interface SignoffGateRequest {
  repository: string;
  number: number;
  useCase: { namespace: string; name: string };
  riskClass: string;
  /** `name` is `namespace/name`, as the check shows it. */
  signoffPolicy: { name: string; spec: SignoffPolicySpec; revision?: string };
  /** A rollback allowed to merge on the break-glass roles alone. */
  breakGlassEligible: boolean;
  now: Date;
}

export interface PromotionSignoffGate {
  evaluate(request: SignoffGateRequest): Promise<{ result: SignoffResult; checkRunId?: number }>;
}

export class DirectSignoffGate implements PromotionSignoffGate {
  constructor(private readonly forge: Forge) {}

  async evaluate(req: SignoffGateRequest): Promise<{ result: SignoffResult; checkRunId?: number }> {
    const { forge } = this;
    const policy = req.signoffPolicy.spec;
    const pr = await forge.getPullRequest(req.repository, req.number);
    const [reviews, commits] = await Promise.all([
      forge.listReviews(req.repository, req.number),
      forge.listCommits(req.repository, req.number),
    ]);
    const teams: Record<string, TeamMembership | undefined> = {};
    for (const team of new Set(policy.roles.map((r) => r.team))) {
      const [org, slug] = team.split('/') as [string, string];
      try {
        teams[team] = { active: await forge.teamMembers(org, slug) };
      } catch (error) {
        // An unknown team is "membership unknown" to the evaluation: it fails closed for that role.
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    const head = commits.find((c) => c.sha === pr.head.sha);
    const result = evaluateSignoff({
      policy,
      riskClass: req.riskClass,
      pullRequest: {
        author: pr.author,
        headSha: pr.head.sha,
        commits,
        ...(head?.committedAt ? { lastPushAt: head.committedAt } : {}),
      },
      reviews,
      teams,
      breakGlass: { eligibleRollback: req.breakGlassEligible },
      now: req.now,
    });
    if (pr.state !== 'open') return { result };
    const checkName = policy.enforcement.checkName;
    const output = renderCheckRun(result, {
      policy: req.signoffPolicy.name,
      ...(req.signoffPolicy.revision ? { policyRevision: req.signoffPolicy.revision } : {}),
    });
    const run = {
      status: 'completed' as const,
      conclusion: output.conclusion,
      output: { title: output.title, summary: output.summary, text: output.text },
    };
    const existing = await forge.findCheckRun(req.repository, pr.head.sha, checkName);
    if (!existing) {
      const created = await forge.createCheckRun(req.repository, {
        name: checkName,
        headSha: pr.head.sha,
        ...run,
      });
      return { result, checkRunId: created.id };
    }
    // The rendering carries no time, so an unchanged decision is byte-identical: write nothing.
    const same =
      existing.status === 'completed' &&
      existing.conclusion === output.conclusion &&
      existing.output?.title === output.title &&
      existing.output?.summary === output.summary &&
      (existing.output?.text ?? '') === output.text;
    if (!same) await forge.updateCheckRun(req.repository, existing.id, run);
    return { result, checkRunId: existing.id };
  }
}
