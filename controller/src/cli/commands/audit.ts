// `vigil audit`: the record an auditor asks for, per use case and period: every promotion and rollback with its
// evidence digest, gates, approvers by role with times, the policy revision in force, the merge, break-glass and
// its retrospective, and surveillance breaches with the actions taken. Reads the cluster, and the forge's pull
// request history when one is given or a local forge is running; prints Markdown, HTML or JSON.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { repositoryRoot } from '../../../../specs/generate.js';
import {
  assembleAuditReport,
  parsePeriod,
  readAuditInputs,
  renderHtml,
  renderMarkdown,
} from '../../audit/index.js';
import type { Forge } from '../../forge/forge.js';
import { createGitHubForge, tokenFromFile, tokenFromSecret } from '../../forge/github/index.js';
import { readForgeStateFile } from '../../forge/local/index.js';
import {
  ClusterConfigError,
  ClusterUnreachableError,
  checkNamespaceExists,
  NamespaceNotFoundError,
  serverOf,
  withCluster,
} from '../../runtime/cluster-errors.js';
import { ClusterClient, loadKubeConfig } from '../../runtime/index.js';
import { InputError, parseOutputFormat, UsageError } from '../terminal.js';

const FORMATS = ['md', 'html', 'json'] as const;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface AuditOptions {
  namespace?: string;
  useCase?: string;
  from?: string;
  to?: string;
  output: string;
  kubeconfig?: string;
  context?: string;
  forge?: string | false;
  forgeTokenFile?: string;
  seed?: string;
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description(
      'The change control record for an auditor: per use case and period, each promotion and rollback with its ' +
        'evidence digest, approvers by role with times, the policy revision and the merge; and surveillance ' +
        'breaches with the actions taken.',
    )
    .option('-n, --namespace <ns>', 'only this namespace (default: every namespace)')
    .option('--use-case <name>', 'only this use case')
    .option('--from <date>', 'first day of the period, YYYY-MM-DD (UTC) or an RFC 3339 time')
    .option('--to <date>', 'last day of the period, included, YYYY-MM-DD (UTC) or an RFC 3339 time')
    .option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`, 'md')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option(
      '--forge <url>',
      'forge API to read pull request history from (default: the running local forge in .vigil/forge.json, if any)',
    )
    .option('--no-forge', 'do not read the forge; the record rests on the cluster alone')
    .option(
      '--forge-token-file <path>',
      'file holding a token to read the forge with, or - to read it from standard input (never pass a token itself)',
    )
    .option('--seed <file>', 'local forge seed, for its read token (default: the one in .vigil/forge.json)')
    .action(async (opts: AuditOptions) => {
      const format = parseOutputFormat(opts.output, FORMATS) as (typeof FORMATS)[number];
      if (opts.namespace !== undefined && !NAME.test(opts.namespace)) {
        throw new UsageError(`--namespace must be a Kubernetes namespace name; got "${opts.namespace}"`);
      }
      if (opts.useCase !== undefined && !NAME.test(opts.useCase)) {
        throw new UsageError(
          `--use-case must be a UseCase name such as denials-triage; got "${opts.useCase}"`,
        );
      }
      const period = parsePeriod(opts.from, opts.to);
      if ('error' in period) throw new UsageError(period.error);
      const forge = await forgeFor(opts);

      const client = new ClusterClient(
        loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context }),
      );
      const scope = {
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.useCase ? { useCase: opts.useCase } : {}),
      };
      let inputs: Awaited<ReturnType<typeof readAuditInputs>>;
      try {
        inputs = await withCluster(client.kubeConfig, async () => {
          // An empty record for a namespace that is not there would read as "nothing happened".
          if (opts.namespace) await checkNamespaceExists(client, opts.namespace);
          return readAuditInputs({ client, scope, period: period.period, ...(forge ? { forge } : {}) });
        });
      } catch (err) {
        if (
          err instanceof ClusterUnreachableError ||
          err instanceof ClusterConfigError ||
          err instanceof NamespaceNotFoundError
        )
          throw err;
        const server = serverOf(client.kubeConfig);
        const code = (err as { code?: number }).code;
        throw new InputError(
          code === 404
            ? `${server} does not serve Vigil's kinds (vigil.dev/v1alpha1): are the CRDs installed?`
            : `cannot read ${server}: ${(err as Error).message.split('\n')[0]}`,
        );
      }
      // A misspelt use case would otherwise give a record that reads as "nothing happened to it".
      if (opts.useCase && !inputs.useCases.some((u) => u.metadata.name === opts.useCase)) {
        if (inputs.promotions.length === 0) {
          const where = opts.namespace ? `namespace "${opts.namespace}"` : 'any namespace';
          const known = inputs.useCases.map((u) => u.metadata.name).sort();
          throw new InputError(
            `no UseCase "${opts.useCase}" in ${where} at ${serverOf(client.kubeConfig)} (use cases: ${known.join(', ') || 'none'})`,
          );
        }
      }
      const report = assembleAuditReport(inputs);
      const text =
        format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : format === 'html'
            ? renderHtml(report)
            : renderMarkdown(report);
      process.stdout.write(text);
    });
}

const isLoopback = (url: string) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);

/**
 * The forge to read, and its URL for the record. A loopback forge is the local one: its seed's vigil App
 * token reads it, as the controller does. Anywhere else a token file is needed; a seed token is never sent off the machine.
 */
async function forgeFor(opts: AuditOptions): Promise<{ forge: Forge; url: string } | undefined> {
  if (opts.forge === false) return undefined;
  const recorded = readForgeStateFile(process.cwd());
  const url = (opts.forge ?? recorded?.state.url)?.replace(/\/+$/, '');
  if (!url) return undefined;
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--forge must be an http(s) URL; got "${url}"`);
  // A forge that does not answer costs one attempt per pull request, not a backoff of seconds each.
  const common = { baseUrl: url, retries: 0, rateLimitRetries: 0, maxWaitMs: 0 };
  if (opts.forgeTokenFile) {
    return {
      forge: await createGitHubForge({ credentials: await tokenFromFile(opts.forgeTokenFile), ...common }),
      url,
    };
  }
  if (!isLoopback(url)) {
    throw new UsageError(
      `--forge ${url} is not a local forge: pass --forge-token-file to read it, or --no-forge`,
    );
  }
  const seed = opts.seed ?? recorded?.state.seed ?? `${repositoryRoot()}/examples/forge/seed.yaml`;
  const token = seedAppToken(seed, 'vigil');
  if (!token) throw new UsageError(`--seed: ${seed} has no App "vigil" to read the local forge as`);
  return {
    forge: await createGitHubForge({
      credentials: tokenFromSecret(Buffer.from(token), 'the local forge seed'),
      ...common,
    }),
    url,
  };
}

function seedAppToken(seedPath: string, slug: string): string | undefined {
  try {
    const seed = parse(readFileSync(seedPath, 'utf8')) as { apps?: { slug?: unknown; token?: unknown }[] };
    const token = seed.apps?.find((a) => a.slug === slug)?.token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    throw new UsageError(`--seed: cannot read the local forge seed ${seedPath}`);
  }
}
