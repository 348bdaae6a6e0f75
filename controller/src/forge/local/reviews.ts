// Reviews: submitted as the token's user against a commit (the head unless another is named), listed in
// the order they were given, and dismissed with a message. The author cannot approve their own change.
import { ForgeError, invalidRequest, notFound } from './errors.js';
import type { Forge } from './forge.js';
import { actorFacts, mayDismiss } from './protection.js';
import { asBody, optionalEnum, optionalString, requiredString } from './request-body.js';
import { listReply, type Route } from './routes.js';
import type { ReviewRecord } from './state.js';
import { recordEvent, recordReviewed } from './timeline.js';

const REVIEWS_DOC = 'https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request';
const DISMISS_DOC = 'https://docs.github.com/rest/pulls/reviews#dismiss-a-review-for-a-pull-request';

const STATE_FOR_EVENT = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
} as const;

/** Why GitHub refuses a review, or undefined when it accepts it. */
export function reviewRefusal(
  event: keyof typeof STATE_FOR_EVENT,
  reviewer: string,
  author: string,
  body: string,
): string | undefined {
  if (reviewer === author && event === 'APPROVE') return 'Can not approve your own pull request';
  if (reviewer === author && event === 'REQUEST_CHANGES')
    return 'Can not request changes on your own pull request';
  if (event !== 'APPROVE' && body.trim() === '') return `Body is required when using ${event} events`;
  return undefined;
}

export function reviewRoutes(forge: Forge): Route[] {
  const { state, rep } = forge;

  return [
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const issue = forge.pull(repo, ctx.params.pull_number);
        return listReply(
          issue.pull.reviews.map((r) => rep.review(repo, issue, r)),
          ctx.url,
        );
      },
    },
    {
      method: 'GET',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const issue = forge.pull(repo, ctx.params.pull_number);
        const review = issue.pull.reviews.find((r) => String(r.id) === ctx.params.review_id);
        if (!review) throw notFound();
        return { status: 200, body: rep.review(repo, issue, review) };
      },
    },
    {
      method: 'POST',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        // A review without an event would stay PENDING on GitHub; Vigil's users submit, so the forge asks for one.
        const event = optionalEnum(body, 'event', ['APPROVE', 'REQUEST_CHANGES', 'COMMENT'] as const);
        if (!event) throw invalidRequest('"event" wasn\'t supplied.', REVIEWS_DOC);
        const text = optionalString(body, 'body') ?? '';
        const commitId = optionalString(body, 'commit_id');
        return repo.lock.run(async () => {
          const issue = forge.pull(repo, ctx.params.pull_number);
          const refusal = reviewRefusal(event, ctx.user.login, issue.user, text);
          if (refusal) throw new ForgeError(422, 'Unprocessable Entity', REVIEWS_DOC, [refusal]);
          let commit = issue.pull.headSha;
          if (commitId !== undefined) {
            const found = /^[0-9a-f]{40}$/.test(commitId) ? await repo.git.resolve(commitId) : undefined;
            if (!found)
              throw new ForgeError(422, 'Unprocessable Entity', REVIEWS_DOC, [
                'Commit id is not part of the pull request',
              ]);
            commit = found;
          }
          const review: ReviewRecord = {
            id: state.newId(),
            user: ctx.user.login,
            body: text,
            state: STATE_FOR_EVENT[event],
            commitId: commit,
            submittedAt: state.nowSeconds(),
          };
          issue.pull.reviews.push(review);
          recordReviewed(state, issue, review);
          // Submitting a review answers the request for it, as on GitHub.
          issue.pull.requestedReviewers = issue.pull.requestedReviewers.filter((r) => r !== ctx.user.login);
          issue.updatedAt = state.nowSeconds();
          forge.emit('pull_request_review', repo, ctx.user.login, {
            action: 'submitted',
            review: rep.review(repo, issue, review),
            pull_request: await forge.pullView(repo, issue, true),
          });
          return { status: 200, body: rep.review(repo, issue, review) };
        });
      },
    },
    {
      method: 'PUT',
      template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals',
      handle: async (ctx) => {
        const repo = forge.repo(ctx);
        const body = asBody(ctx.body);
        const message = requiredString(body, 'message');
        return repo.lock.run(async () => {
          const issue = forge.pull(repo, ctx.params.pull_number);
          const review = issue.pull.reviews.find((r) => String(r.id) === ctx.params.review_id);
          if (!review) throw notFound(DISMISS_DOC);
          // Who may dismiss follows the base branch's protection: its dismissal restrictions when set, else
          // anyone with write access; admins and maintainers always.
          const rules = repo.protection?.branch === issue.pull.baseRef ? repo.protection : undefined;
          if (!mayDismiss(rules, actorFacts(state, repo, ctx.user))) {
            throw new ForgeError(
              403,
              rules?.dismissalRestrictions
                ? 'You do not have permission to dismiss this review: dismissals on this branch are restricted.'
                : 'You do not have permission to dismiss this review.',
              DISMISS_DOC,
            );
          }
          if (review.state !== 'APPROVED' && review.state !== 'CHANGES_REQUESTED') {
            throw new ForgeError(422, 'Unprocessable Entity', DISMISS_DOC, [
              `Can not dismiss a ${review.state.toLowerCase()} pull request review`,
            ]);
          }
          recordEvent(state, issue, {
            event: 'review_dismissed',
            actor: ctx.user.login,
            dismissed: { review, message, commitId: issue.pull.headSha },
          });
          review.state = 'DISMISSED';
          issue.updatedAt = state.nowSeconds();
          forge.emit('pull_request_review', repo, ctx.user.login, {
            action: 'dismissed',
            // Webhook reviews name their state in lower case, as GitHub sends them.
            review: { ...rep.review(repo, issue, review), state: 'dismissed', dismissal_message: message },
            pull_request: await forge.pullView(repo, issue, true),
          });
          return { status: 200, body: rep.review(repo, issue, review) };
        });
      },
    },
  ];
}
