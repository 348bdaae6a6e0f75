// Every controller Vigil runs, registered on a manager.
import { dataContractController } from './kinds/datacontract/reconciler.js';
import { releaseTrainController } from './kinds/releasetrain/reconciler.js';
import { signoffPolicyController } from './kinds/signoffpolicy/reconciler.js';
import { useCaseController } from './kinds/usecase/reconciler.js';
import type { Manager } from './runtime/index.js';

export function registerControllers(manager: Manager): void {
  manager.register(useCaseController);
  manager.register(dataContractController);
  manager.register(releaseTrainController);
  manager.register(signoffPolicyController);
}
