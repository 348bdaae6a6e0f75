// The sign-off gate as the Promotion reconciler calls it: the gate proper (controller/src/gate, SignoffGate)
// evaluates the policy and sets the `vigil/sign-off` check; tests may stand in for it behind this interface.
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type {
  ForgeUnavailableError,
  PullRequest,
  PullRequestCommit,
  PullRequestReview,
} from '../forge/forge.js';
import type { Blocker, SignoffResult } from '../signoff/index.js';

export interface SignoffGateRequest {
  repository: string;
  number: number;
  useCase: { namespace: string; name: string };
  riskClass: string;
  /**
   * `name` is `namespace/name` (or several joined, for a change several use cases need), as the check shows it;
   * `spec` is undefined when a policy it needs could not be read: the check fails closed.
   */
  signoffPolicy: { name: string; spec: SignoffPolicySpec | undefined; revision?: string };
  /** A rollback allowed to merge on the break-glass roles alone. */
  breakGlassEligible: boolean;
  /** What the check should tell besides the decision (why break-glass was refused, say). */
  notes?: string[];
  /** Facts that block on their own (a file two use cases claim). */
  blockers?: Blocker[];
  /** Commits the pull request's author pushed, as the caller knows first-hand (Vigil's own, on its own branch). */
  authorPushed?: string[];
  now: Date;
  /** What the reconciler already holds (the pull request it just read, opened or was delivered): not read again. */
  inHand?: {
    pullRequest?: PullRequest;
    reviews?: PullRequestReview[];
    commits?: PullRequestCommit[];
    justOpened?: boolean;
  };
}

export interface PromotionSignoffGate {
  /** `complete` is true when every fact the decision needs was read (nothing failed closed for want of it). */
  evaluate(
    request: SignoffGateRequest,
  ): Promise<{ result: SignoffResult; checkRunId?: number; complete?: boolean }>;
  /**
   * Turn a success this gate set on the pull request into a failure that says why, when what the decision needs
   * cannot be read; true when it wrote one. With nothing remembered (after a restart), `headSha` names the commit
   * on which a failing run of the check is written in place of whatever stands there.
   */
  withdraw?(
    repository: string,
    number: number,
    error: ForgeUnavailableError,
    headSha?: string,
  ): Promise<boolean>;
}
