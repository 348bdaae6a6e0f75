// The DataContract reconciler: breaking changes against the previous version (when that version is kept as its
// own object), the contract's test against its data when a data directory is configured, and readiness.
import { type DataContractStatus, dataContractSpec } from '../../../../specs/datacontract.js';
import { testContract } from '../../data/contract-test.js';
import { fileServerOf } from '../../data/file-server.js';
import type { ConditionUpdate } from '../../runtime/index.js';
import { defineController } from '../../runtime/index.js';
import { DATA_CONTRACTS, peekSpec, readSpec, statusOf } from '../resources.js';
import { decideDataContractStatus } from './decide.js';

/** How long a contract test result stands before the data is tested again. */
export const CONTRACT_TEST_INTERVAL_MS = 24 * 3_600_000;

export interface DataContractDependencies {
  /** The governance repository root that server paths resolve against; none: contracts are not tested. */
  dataDir?: string;
}

export function dataContractController(deps: DataContractDependencies) {
  return defineController({
    kind: DATA_CONTRACTS,
    async reconcile(ctx, obj) {
      const namespace = obj.metadata!.namespace!;
      const spec = readSpec(dataContractSpec, obj);
      const previousStatus = statusOf<DataContractStatus>(obj);
      // The previous version, if kept as its own object: same contract id, version previousVersion.
      const previous = spec.previousVersion
        ? ctx.cache
            .list(DATA_CONTRACTS, namespace)
            .map((o) => peekSpec(dataContractSpec, o))
            .find((s) => s?.id === spec.id && s.version === spec.previousVersion)
        : undefined;

      // A contract whose servers are all of kinds not read yet (Databricks, PostgreSQL) is not tested, and says so:
      // that is no fault of the contract, so it does not count against its readiness.
      const server = fileServerOf(spec);
      const testable = deps.dataDir !== undefined && !('error' in server);
      const tested: ConditionUpdate =
        deps.dataDir === undefined
          ? {
              type: 'Tested',
              status: 'Unknown',
              reason: 'NoDataSource',
              message: 'the controller runs without a data directory',
            }
          : 'error' in server
            ? { type: 'Tested', status: 'Unknown', reason: 'NoReadableServer', message: server.error }
            : {
                type: 'Tested',
                status: 'True',
                reason: 'Tested',
                message: `tested against server ${server.server}`,
              };

      // Test when there is no result for this version and spec, or the last one is a day old; otherwise the
      // result stands, so a pass over an unchanged contract writes nothing.
      let lastTest = testable ? previousStatus?.lastTest : undefined;
      const specChanged = previousStatus?.observedGeneration !== obj.metadata?.generation;
      const age = lastTest?.at ? ctx.now.getTime() - Date.parse(lastTest.at) : Number.POSITIVE_INFINITY;
      const due =
        testable && (specChanged || lastTest?.version !== spec.version || age >= CONTRACT_TEST_INTERVAL_MS);
      if (due) lastTest = await testContract(spec, { baseDir: deps.dataDir!, now: ctx.now });

      const decision = decideDataContractStatus({ spec, previous, lastTest });
      return {
        status: {
          ...decision.status,
          lastTest: lastTest ?? null,
          conditions: [...decision.conditions, tested],
        },
        events: decision.events,
        ...(testable
          ? { requeueAfter: due ? CONTRACT_TEST_INTERVAL_MS : CONTRACT_TEST_INTERVAL_MS - age }
          : {}),
      };
    },
  });
}
