// The DataContract reconciler: breaking changes against the previous version, when that version is in the
// cluster under the name the contract gives it, and whether the contract is ready for its consumers.
import { type DataContractStatus, dataContractSpec } from '../../../../specs/datacontract.js';
import { defineController } from '../../runtime/index.js';
import { DATA_CONTRACTS, peekSpec, readSpec, statusOf } from '../resources.js';
import { decideDataContractStatus } from './decide.js';

export const dataContractController = defineController({
  kind: DATA_CONTRACTS,
  async reconcile(ctx, obj) {
    const namespace = obj.metadata!.namespace!;
    const spec = readSpec(dataContractSpec, obj);
    // The previous version, if kept as its own object: same contract id, version previousVersion.
    const previous = spec.previousVersion
      ? ctx.cache
          .list(DATA_CONTRACTS, namespace)
          .map((o) => peekSpec(dataContractSpec, o))
          .find((s) => s?.id === spec.id && s.version === spec.previousVersion)
      : undefined;
    const decision = decideDataContractStatus({
      spec,
      previous,
      lastTest: statusOf<DataContractStatus>(obj)?.lastTest,
    });
    return { status: { ...decision.status, conditions: decision.conditions }, events: decision.events };
  },
});
