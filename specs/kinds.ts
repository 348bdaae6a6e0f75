// Every kind Vigil defines, in the order a person reads them.
import type { KindDefinition } from './common.js';
import { dataContractKind } from './datacontract.js';
import { promotionKind } from './promotion.js';
import { releaseTrainKind } from './releasetrain.js';
import { signoffPolicyKind } from './signoffpolicy.js';
import { surveillancePolicyKind } from './surveillancepolicy.js';
import { useCaseKind } from './usecase.js';

export const KINDS: readonly KindDefinition[] = [
  useCaseKind,
  dataContractKind,
  releaseTrainKind,
  surveillancePolicyKind,
  signoffPolicyKind,
  promotionKind,
];

export function kindByName(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}
