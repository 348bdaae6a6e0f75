// `vigil promote USECASE --to STAGE`: check the candidate's gates for that stage and, when they pass, create the
// Promotion; the controller opens the pull request. Refuses (exit 1) with the failing gates otherwise. It makes
// promotions only: a rollback, and break-glass with it, comes from the controller when surveillance breaches.
import { type Command, Option } from 'commander';
import type { GateResult } from '../../kinds/usecase/gates.js';
import { requestPromotion } from '../../promotion/manual.js';
import { checkNamespaceExists, withCluster } from '../../runtime/cluster-errors.js';
import { ClusterClient, loadKubeConfig } from '../../runtime/index.js';
import { InputError, UsageError } from '../terminal.js';

interface PromoteOptions {
  to: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  rollback?: boolean;
  breakGlass?: boolean;
}

const NO_ROLLBACK =
  'vigil promote cannot create a rollback or ask for break-glass: rollbacks are opened by the controller when a SurveillancePolicy reaches its rollback tier, and only those may merge on break-glass. To roll back by hand, open a pull request that sets the earlier version; it needs the full sign-off.';

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description(
      "Promote a use case's candidate to a stage: checks its gates, then creates the Promotion whose pull request the controller opens.",
    )
    .argument('<usecase>', 'name of the UseCase')
    .requiredOption('--to <stage>', 'stage or wave to deploy the candidate to')
    .option('-n, --namespace <ns>', 'namespace of the use case (default: the kubeconfig context namespace)')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    // Named so that whoever reaches for them is told why not, rather than "unknown option".
    .addOption(new Option('--rollback').hideHelp())
    .addOption(new Option('--break-glass').hideHelp())
    .action(async (useCase: string, opts: PromoteOptions) => {
      if (opts.rollback || opts.breakGlass) throw new UsageError(NO_ROLLBACK);
      const kubeConfig = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context });
      const namespace =
        opts.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
      const client = new ClusterClient(kubeConfig);
      const outcome = await withCluster(kubeConfig, async () => {
        await checkNamespaceExists(client, namespace);
        return requestPromotion(client, namespace, useCase, opts.to, new Date());
      });
      if ('refused' in outcome) {
        const lines = outcome.gates.filter((g) => !g.passed).map((g) => `  FAIL ${gateLine(g)}`);
        throw new InputError(
          [`not promoting ${useCase} to ${opts.to}: ${outcome.refused}`, ...lines].join('\n'),
        );
      }
      const out = process.stdout;
      out.write(
        `${outcome.created ? 'Created' : 'Already requested:'} promotion ${outcome.name} (${useCase} ${outcome.version} to ${opts.to}${outcome.from ? ` from ${outcome.from}` : ''}; ${outcome.gates.length} gates pass)\n`,
      );
      out.write(`Follow it: kubectl get promo -n ${namespace} -w\n`);
      out.write(`Details:   kubectl describe promo ${outcome.name} -n ${namespace}\n`);
    });
}

/**
 * A gate and its result on one line. A metric's gate is named for the metric ("evaluation: auroc") and its
 * message starts with it ("auroc 0.81 is below ..."), so the line says the metric once.
 */
export function gateLine(gate: GateResult): string {
  const subject = /^[^:]+: (.+)$/.exec(gate.name)?.[1];
  if (subject && gate.message.startsWith(`${subject} `)) {
    return `${gate.name}${gate.message.slice(subject.length)}`;
  }
  return `${gate.name}: ${gate.message}`;
}
