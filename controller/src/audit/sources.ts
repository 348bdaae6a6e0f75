// The audit's I/O: read the Vigil objects from the cluster (through client-node) and each promotion's pull
// request from the forge (through the Forge adapter). No decision is made here; report.ts assembles.
import { type Forge, ForgeError } from '../forge/forge.js';
import type { ClusterClient } from '../runtime/index.js';
import type { AuditPeriod } from './period.js';
import {
  type AuditInputs,
  type ForgePullRequest,
  type ForgeReading,
  type ObservedObject,
  pullRequestKey,
  repositoryOf,
  type UseCaseFacts,
} from './report.js';

const GROUP = 'vigil.dev';
const VERSION = 'v1alpha1';

export interface AuditSourceOptions {
  client: ClusterClient;
  scope: { namespace?: string; useCase?: string };
  period: AuditPeriod;
  /** The forge to read pull request history from, with its URL for the record; absent: the cluster alone. */
  forge?: { forge: Forge; url: string };
  now?: () => Date;
}

/** Every object of a kind, in one namespace or across all. */
async function listKind(client: ClusterClient, plural: string, namespace: string | undefined) {
  const list = (
    namespace
      ? await client.customObjects.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
        })
      : await client.customObjects.listClusterCustomObject({ group: GROUP, version: VERSION, plural })
  ) as { items?: ObservedObject[] };
  return list.items ?? [];
}

export async function readAuditInputs(options: AuditSourceOptions): Promise<AuditInputs> {
  const { client, scope } = options;
  const [useCases, promotions, surveillancePolicies] = await Promise.all([
    listKind(client, 'usecases', scope.namespace),
    listKind(client, 'promotions', scope.namespace),
    listKind(client, 'surveillancepolicies', scope.namespace),
  ]);
  const typedUseCases = useCases as AuditInputs['useCases'];
  const typedPromotions = (promotions as AuditInputs['promotions']).filter(
    (p) => !scope.useCase || p.spec?.useCase === scope.useCase,
  );
  const forge = options.forge
    ? await readPullRequests(options.forge.forge, options.forge.url, typedPromotions, typedUseCases)
    : { pullRequests: new Map(), problems: [] };
  return {
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    scope,
    period: options.period,
    cluster: client.kubeConfig.getCurrentCluster()?.server,
    useCases: typedUseCases,
    promotions: typedPromotions,
    surveillancePolicies: surveillancePolicies as AuditInputs['surveillancePolicies'],
    forge,
  };
}

/** Each promotion's pull request and its reviews, with who merged it and the merge commit it made. */
async function readPullRequests(
  forge: Forge,
  url: string,
  promotions: AuditInputs['promotions'],
  useCases: ObservedObject<UseCaseFacts>[],
): Promise<ForgeReading> {
  const reading: ForgeReading = { url, pullRequests: new Map(), problems: [] };
  const declaredRepo = (namespace: string | undefined, name: string | undefined) =>
    useCases.find((u) => u.metadata.namespace === namespace && u.metadata.name === name)?.spec?.deployment
      ?.repository;
  for (const p of promotions) {
    const pr = p.status?.pullRequest;
    if (!pr) continue;
    const repository = repositoryOf(pr.url, declaredRepo(p.metadata.namespace, p.spec?.useCase));
    if (!repository) {
      reading.problems.push(`${p.metadata.namespace}/${p.metadata.name}: no repository in ${pr.url}`);
      continue;
    }
    const key = pullRequestKey(repository, pr.number);
    if (reading.pullRequests.has(key)) continue;
    try {
      const got = await forge.getPullRequest(repository, pr.number);
      const reviews = await forge.listReviews(repository, pr.number);
      const record: ForgePullRequest = {
        repository,
        number: got.number,
        title: got.title,
        url: got.url,
        state: got.state,
        merged: got.merged,
        ...(got.mergedAt ? { mergedAt: got.mergedAt } : {}),
        ...(got.closedAt ? { closedAt: got.closedAt } : {}),
        ...(got.mergedBy ? { mergedBy: got.mergedBy } : {}),
        ...(got.mergeCommitSha ? { mergeCommitSha: got.mergeCommitSha } : {}),
        author: got.author,
        headSha: got.head.sha,
        reviews: reviews.map((r) => ({
          id: r.id,
          login: r.login,
          state: r.state,
          commitId: r.commitId,
          ...(r.submittedAt ? { submittedAt: r.submittedAt } : {}),
        })),
      };
      reading.pullRequests.set(key, record);
    } catch (error) {
      // The adapter's messages never carry a credential; anything else is reduced to its kind.
      const why = error instanceof ForgeError ? error.message : error instanceof Error ? error.name : 'error';
      reading.problems.push(`${repository}#${pr.number}: ${why}`);
      if (reading.problems.length >= 5 && reading.pullRequests.size === 0) {
        reading.problems.push('stopped asking the forge after five failures in a row');
        break;
      }
    }
  }
  return reading;
}
