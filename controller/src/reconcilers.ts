// Every controller Vigil runs, registered on a manager.

import { dataContractSpec } from '../../specs/datacontract.js';
import { promotionSpec } from '../../specs/promotion.js';
import { releaseTrainSpec } from '../../specs/releasetrain.js';
import { signoffPolicySpec } from '../../specs/signoffpolicy.js';
import { surveillancePolicySpec } from '../../specs/surveillancepolicy.js';
import { useCaseSpec } from '../../specs/usecase.js';
import type { DataHosts } from './data/data-hosts.js';
import type { Forge } from './forge/forge.js';
import { SignoffGate } from './gate/index.js';
import type { PushersOf } from './gate/signoff-gate.js';
import { dataContractController } from './kinds/datacontract/reconciler.js';
import { refusingPhi } from './kinds/phi-guard.js';
import { promotionController } from './kinds/promotion/reconciler.js';
import { createReleaseTrainController } from './kinds/releasetrain/reconciler.js';
import {
  cacheParsedSpec,
  DATA_CONTRACTS,
  PROMOTIONS,
  RELEASE_TRAINS,
  SIGNOFF_POLICIES,
  SURVEILLANCE_POLICIES,
  USE_CASES,
} from './kinds/resources.js';
import { createSignoffPolicyController } from './kinds/signoffpolicy/reconciler.js';
import { surveillancePolicyController } from './kinds/surveillancepolicy/reconciler.js';
import { createUseCaseController } from './kinds/usecase/reconciler.js';
import { outcomeEvidenceReader } from './metrics/outcomes.js';
import type { Controller, KubeObject, Manager } from './runtime/index.js';

export interface ControllerDependencies {
  /** The governance repository root that data paths (contract servers, inference logs) resolve against. */
  dataDir?: string;
  /** The Prometheus base URL for prometheus sources of policies that name none. */
  prometheusUrl?: string;
  /**
   * Hosts besides PGHOST and DATABRICKS_HOST that the controller's database login may go to and that data and
   * Prometheus may be read from (VIGIL_DATA_HOSTS, --data-host); a spec naming another host is not read.
   */
  hosts?: DataHosts;
  /**
   * The forge (GitHub, or the local forge) for pull requests and sign-off. Without one, Vigil reports state
   * but opens no pull request: trains do not depart and there are no Promotions to follow.
   */
  forge?: Forge;
  /** How often open pull requests and deployed versions are read when no webhook says so. */
  pollIntervalMs?: number;
  /** Who pushed which commit (change control's push ledger), so a pusher cannot sign off a promotion either. */
  pushes?: PushersOf;
}

export function registerControllers(manager: Manager, deps: ControllerDependencies = {}): void {
  const { forge, pollIntervalMs } = deps;
  // No kind acts on an object that holds a value that looks like PHI, however it reached the cluster.
  const register = <T extends KubeObject>(controller: Controller<T>) =>
    manager.register(refusingPhi(controller));
  const poll = pollIntervalMs !== undefined ? { pollIntervalMs } : {};
  // Each kind's cache keeps its spec parsed, once per generation: see cacheParsedSpec.
  for (const [kind, schema] of [
    [USE_CASES, useCaseSpec],
    [DATA_CONTRACTS, dataContractSpec],
    [RELEASE_TRAINS, releaseTrainSpec],
    [SURVEILLANCE_POLICIES, surveillancePolicySpec],
    [SIGNOFF_POLICIES, signoffPolicySpec],
    [PROMOTIONS, promotionSpec],
  ] as const) {
    manager.transformCache(kind, cacheParsedSpec(schema));
  }
  register(
    createUseCaseController({
      ...(forge ? { forge, ...poll } : {}),
      // Stage evidence (encounters, outcomes, review) is read from the inference logs under the data directory.
      ...(deps.dataDir ? { evidence: outcomeEvidenceReader(deps.dataDir) } : {}),
    }),
  );
  register(dataContractController(deps));
  register(createReleaseTrainController({ departures: forge !== undefined }));
  register(surveillancePolicyController(deps));
  register(createSignoffPolicyController(forge ? { forge } : {}));
  if (forge) {
    register(
      promotionController({
        forge,
        gate: new SignoffGate({
          forge,
          logger: manager.logger,
          ...(deps.pushes ? { pushes: deps.pushes } : {}),
        }),
        ...poll,
      }),
    );
  }
}
