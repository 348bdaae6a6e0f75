// The SignoffPolicy reconciler: teams behind each role and whether the branch really requires the check.
// Without a forge configured, teams and protection are unknown and the policy says so.
import { signoffPolicySpec } from '../../../../specs/signoffpolicy.js';
import { defineController } from '../../runtime/index.js';
import { readSpec, SIGNOFF_POLICIES } from '../resources.js';
import { decideSignoffPolicyStatus } from './status.js';

export const signoffPolicyController = defineController({
  kind: SIGNOFF_POLICIES,
  async reconcile(_ctx, obj) {
    const spec = readSpec(signoffPolicySpec, obj);
    const decision = decideSignoffPolicyStatus({ spec });
    return { status: { ...decision.status, conditions: decision.conditions }, events: decision.events };
  },
});
