// The review tier's governance issue: one per breach, in the governance repository of the use case's sign-off
// policy, carrying the evidence (metric, segment, value, baseline, threshold, since when; aggregates only, never
// a data row). Each issue carries a label and a hidden marker naming policy, metric, segment and use case, so an
// issue opened just before a restart (its number not yet in status) is found again rather than opened twice.
// When the breach clears, the issue is closed with a comment saying when and what was read.
//
// The work is level-based over status.actions: a review action without an issue and not cleared still needs its
// issue; a cleared one whose issue is open still needs closing. Nothing pending, no call to the forge.
import type { SurveillancePolicySpec } from '../../../../specs/surveillancepolicy.js';
import {
  type Forge,
  ForgeError,
  ForgeUnavailableError,
  type Issue,
  type RepoName,
} from '../../forge/forge.js';
import { scanObjectForPhi } from '../../phi/index.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { toTimestamp } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition } from '../conditions.js';
import type { ActionRecord, MetricStatus } from './status.js';
import { tierNamed } from './tiers.js';

export const REVIEW_LABEL = 'vigil/surveillance-review';
export const REVIEW_OPENED = 'ReviewOpened';
/** After a forge failure other than a rate limit, the pending work is tried again this much later. */
export const REVIEW_RETRY_MS = 30_000;

type Metric = SurveillancePolicySpec['metrics'][number];

export interface ReviewInput {
  forge: Forge;
  namespace: string;
  policy: string;
  spec: SurveillancePolicySpec;
  actions: readonly ActionRecord[];
  /** The metrics as status now shows them: the evidence an issue carries. */
  metrics: readonly MetricStatus[];
  /** The governance repository a use case's reviews go to; undefined when it cannot be told. */
  repositoryOf: (useCase: string | undefined) => RepoName | undefined;
  /** The version each use case runs in production, for the issue. */
  versionOf?: (useCase: string) => string | undefined;
  now: Date;
}

export interface ReviewOutcome {
  actions: ActionRecord[];
  /** ReviewOpened, when the policy has any review action; undefined otherwise. */
  condition?: ConditionUpdate;
  events: EventSpec[];
  /** When to try the pending work again; undefined when nothing is left that a retry could do. */
  retryInMs?: number;
}

/** Whether a review action still needs its issue opened, or closed. */
export function reviewPending(a: ActionRecord): 'open' | 'close' | undefined {
  if (a.action !== 'review') return undefined;
  if (a.cleared === undefined) return a.issue === undefined ? 'open' : undefined;
  return a.issue !== undefined && a.issue.closedAt === undefined ? 'close' : undefined;
}

/** The hidden line that names a breach's issue: stable across restarts and replicas. */
export function reviewMarker(namespace: string, policy: string, metric: string, useCase?: string): string {
  return `<!-- vigil:surveillance-review policy=${namespace}/${policy} metric=${metric}${useCase ? ` use-case=${useCase}` : ''} -->`;
}

/**
 * Open the issues review actions still need and close those of cleared breaches. `justCleared`: review actions
 * cleared this round without an issue in status; one may have been opened before a restart, so it is looked for.
 */
export async function settleReviews(
  input: ReviewInput,
  justCleared: ReadonlySet<number> = new Set(),
): Promise<ReviewOutcome> {
  const actions = [...input.actions];
  const events: EventSpec[] = [];
  const problems: { reason: string; message: string; retry: boolean }[] = [];
  let retryInMs: number | undefined;
  const openIssues = new Map<RepoName, Issue[]>();
  const listed = async (repo: RepoName) => {
    let issues = openIssues.get(repo);
    if (!issues) {
      issues = await input.forge.listIssues(repo, { state: 'open', labels: [REVIEW_LABEL] });
      openIssues.set(repo, issues);
    }
    return issues;
  };

  // Only the newest action of a metric whose breach still shows in status may need an issue opened: an older
  // one without an issue (recorded before issues were opened) belongs to a breach that is over.
  const newest = new Map(actions.map((a, i) => [a.metric, i]));
  const breached = new Set(
    input.metrics
      .filter((m) => m.tier !== undefined && m.tier !== 'none')
      .map((m) => (m.segment === undefined ? m.name : `${m.name}[${m.segment}]`)),
  );
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    let pending =
      reviewPending(a) ?? (justCleared.has(i) && a.action === 'review' && !a.issue ? 'close' : undefined);
    if (pending === 'open' && (newest.get(a.metric) !== i || !breached.has(a.metric))) pending = undefined;
    if (!pending) continue;
    const what = `${a.metric}${a.useCase ? ` for ${a.useCase}` : ''}`;
    const repo = a.issue?.repository ?? input.repositoryOf(a.useCase);
    if (!repo) {
      problems.push({
        reason: 'NoRepository',
        message: `no governance repository for the review of ${what}: ${a.useCase ? `set spec.governance.repository in the sign-off policy of ${a.useCase}` : 'no use case names this policy'}`,
        retry: false,
      });
      continue;
    }
    const marker = reviewMarker(input.namespace, input.policy, a.metric, a.useCase);
    try {
      if (pending === 'open') {
        const found = (await listed(repo)).find((issue) => issue.body.includes(marker));
        if (found) {
          actions[i] = {
            ...a,
            reference: found.url,
            issue: { repository: repo, number: found.number, url: found.url },
          };
          events.push({
            type: 'Normal',
            reason: 'ReviewIssueFound',
            message: `review of ${what} is ${found.url}`,
          });
          continue;
        }
        const issue = reviewIssue(input, a, marker);
        const phi = scanObjectForPhi(issue as unknown as Record<string, unknown>);
        if (phi.length > 0) {
          problems.push({
            reason: 'PHIDetected',
            message: `the review issue of ${what} would carry a value that looks like PHI (${phi.map((f) => f.path).join(', ')}); not opened`,
            retry: false,
          });
          continue;
        }
        const created = await input.forge.createIssue(repo, { ...issue, labels: [REVIEW_LABEL] });
        actions[i] = {
          ...a,
          reference: created.url,
          issue: { repository: repo, number: created.number, url: created.url },
        };
        events.push({
          type: 'Normal',
          reason: 'ReviewIssueOpened',
          message: `opened ${created.url}: review of ${what}`,
        });
        continue;
      }
      // Close: the issue status names, or one opened before a restart that status never recorded.
      let issue = a.issue;
      if (!issue) {
        const found = (await listed(repo)).find((x) => x.body.includes(marker));
        if (!found) continue;
        issue = { repository: repo, number: found.number, url: found.url };
      }
      const cleared = a.cleared!;
      await input.forge.createComment(repo, issue.number, clearedComment(input, a, cleared));
      await input.forge.updateIssue(repo, issue.number, { state: 'closed', stateReason: 'completed' });
      actions[i] = { ...a, reference: issue.url, issue: { ...issue, closedAt: toTimestamp(input.now) } };
      events.push({
        type: 'Normal',
        reason: 'ReviewIssueClosed',
        message: `closed ${issue.url}: ${what} cleared at ${cleared.at}`,
      });
    } catch (error) {
      if (!(error instanceof ForgeError)) throw error;
      const wait =
        error instanceof ForgeUnavailableError
          ? Math.max(1_000, error.retryAt.getTime() - input.now.getTime())
          : REVIEW_RETRY_MS;
      retryInMs = Math.min(retryInMs ?? wait, wait);
      problems.push({
        reason: error instanceof ForgeUnavailableError ? 'ForgeUnavailable' : 'ForgeError',
        message: `the review issue of ${what} is not ${pending === 'open' ? 'opened' : 'closed'} yet: ${error.message}`,
        retry: true,
      });
      // One failure at the forge is enough for this pass: the rest waits for the retry.
      break;
    }
  }

  const reviews = actions.filter((a) => a.action === 'review');
  if (reviews.length === 0) return { actions, events };
  if (problems.length > 0) {
    events.push(
      ...problems.map((p) => ({ type: 'Warning' as const, reason: 'ReviewNotOpened', message: p.message })),
    );
    return {
      actions,
      condition: condition(
        REVIEW_OPENED,
        'False',
        problems[0]!.reason,
        problems.map((p) => p.message).join('; '),
      ),
      events,
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    };
  }
  const open = reviews.filter((a) => a.issue && !a.issue.closedAt && !a.cleared);
  return {
    actions,
    condition:
      open.length > 0
        ? condition(
            REVIEW_OPENED,
            'True',
            'ReviewOpen',
            `under review: ${open.map((a) => `${a.metric} ${a.issue!.url}`).join(', ')}`,
          )
        : condition(
            REVIEW_OPENED,
            'False',
            'NoBreachUnderReview',
            'every breach that reached a review tier has cleared, and its issue is closed',
          ),
    events,
  };
}

/** The review issue: what was read against what was expected, and since when; aggregates, never data rows. */
export function reviewIssue(
  input: ReviewInput,
  a: ActionRecord,
  marker: string,
): { title: string; body: string } {
  const [name, segment] = splitMetric(a.metric);
  const metric = input.spec.metrics.find((m) => m.name === name);
  const status = input.metrics.find((m) => m.name === name && m.segment === segment);
  const tier = metric ? tierNamed(metric, a.tier).tier : undefined;
  const subject = a.useCase ?? input.policy;
  const version = a.useCase ? input.versionOf?.(a.useCase) : undefined;
  const rows: [string, string | undefined][] = [
    ['Use case', a.useCase ? `${a.useCase}${version ? ` (${version} in production)` : ''}` : undefined],
    ['Surveillance policy', `${input.namespace}/${input.policy}`],
    ['Metric', metric ? `${name} (${metric.kind}, ${metric.direction})` : name],
    ['Segment', segment ?? 'overall'],
    ['Value', status?.value !== undefined ? show(status.value) : undefined],
    [
      'Baseline',
      status?.baseline !== undefined
        ? show(status.baseline)
        : metric?.baseline !== undefined
          ? show(metric.baseline)
          : undefined,
    ],
    [
      'Degradation',
      status?.degradation !== undefined && metric ? degradationText(metric, status.degradation) : undefined,
    ],
    [
      'Threshold',
      tier
        ? `${a.tier} (${tier.action}) at ${show(tier.at)}${metric?.degradation === 'relative' ? '% worse than the baseline' : ''}`
        : a.tier,
    ],
    [
      'Samples',
      status?.samples !== undefined
        ? `${status.samples}${status.baselineSamples !== undefined ? ` (baseline window ${status.baselineSamples})` : ''}`
        : undefined,
    ],
    ['Since', status?.since ?? a.at],
    ['Recorded', a.at],
  ];
  const table = rows.flatMap(([k, v]) => (v === undefined ? [] : [`| ${k} | ${cell(v)} |`]));
  return {
    title: `Surveillance review: ${subject} ${name}${segment ? ` (${segment})` : ''} reached ${a.tier}`,
    body: [
      marker,
      `Vigil's surveillance of **${subject}** found **${name}**${segment ? ` for ${cell(segment)}` : ''} at its **${a.tier}** tier, which asks for a governance review.`,
      '',
      '| | |',
      '|---|---|',
      ...table,
      '',
      'The figures are aggregates over the inference log or the Prometheus query the policy names; no record is quoted here.',
      'Vigil closes this issue with a comment when a judged reading of the metric is back below its first tier; a higher tier opens a rollback pull request of its own.',
    ].join('\n'),
  };
}

function clearedComment(
  input: ReviewInput,
  a: ActionRecord,
  cleared: NonNullable<ActionRecord['cleared']>,
): string {
  const [name] = splitMetric(a.metric);
  const metric = input.spec.metrics.find((m) => m.name === name);
  const first = metric?.tiers[0];
  return [
    `Cleared at ${cleared.at}: ${a.metric} read ${cleared.value !== undefined ? show(cleared.value) : 'a value'}${metric?.baseline !== undefined ? ` against a baseline of ${show(metric.baseline)}` : ''}, back below its first tier${first ? ` (${first.name ?? first.action} at ${show(first.at)})` : ''}.`,
    '',
    'Vigil closes this review. Reopen it if the review is not finished; the breach stays in the audit record with this issue.',
  ].join('\n');
}

/** "auroc[payer=medicaid]" -> ["auroc", "payer=medicaid"]. */
function splitMetric(key: string): [string, string | undefined] {
  const m = /^([^[]+)\[(.*)\]$/.exec(key);
  return m ? [m[1]!, m[2]!] : [key, undefined];
}

function degradationText(metric: Metric, d: number): string {
  return metric.degradation === 'absolute'
    ? show(d)
    : `${show(Number(d.toFixed(2)))}% worse than the baseline`;
}

const show = (n: number) => String(Number(n.toPrecision(12)));
/** A table cell: no pipe or line break from a value can break the table. */
const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
