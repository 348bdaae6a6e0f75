// `vigil start --drift`: the readmission example's score drifts, and its SurveillancePolicy trips its tiers in
// order. The policy's interval is shortened in the cluster (the file in the governance repository is unchanged);
// then, after each evaluation, the log is written again ending now, drifting over its last two weeks at the next
// strength of READMISSION_DRIFT: PSI of the score in the notify tier, then review, then rollback. Each strength
// waits for an evaluation that read it, so no tier is skipped however slow the machine.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../../../specs/common.js';
import type { SurveillancePolicyStatus } from '../../../specs/surveillancepolicy.js';
import type { ClusterClient } from '../runtime/index.js';
import type { ExampleLogs } from './simulate-examples.js';
import { READMISSION_DRIFT } from './simulate-profiles.js';

export const DRIFT_POLICY = { namespace: 'care-management', name: 'readmission-surveillance' } as const;
/** The policy's interval while it drifts. */
export const DRIFT_INTERVAL = '5s';

interface PolicyObject {
  metadata?: { generation?: number };
  status?: SurveillancePolicyStatus & { observedGeneration?: number };
}

export interface DriftWalk {
  client: ClusterClient;
  logs: ExampleLogs;
  say: (line: string) => void;
  signal: AbortSignal;
  /** How often the policy's status is read while waiting; default 500 ms. */
  pollMs?: number;
  /** How long to wait for one evaluation before giving up; default 3 minutes. */
  timeoutMs?: number;
}

/** Walk the drift; resolves when the last strength has been evaluated, or the walk was stopped or gave up. */
export async function walkReadmissionDrift(w: DriftWalk): Promise<void> {
  const api = { group: API_GROUP, version: API_VERSION, plural: 'surveillancepolicies', ...DRIFT_POLICY };
  const read = async () => (await w.client.customObjects.getNamespacedCustomObject(api)) as PolicyObject;
  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      const stop = () => {
        clearTimeout(t);
        done();
      };
      const t = setTimeout(() => {
        w.signal.removeEventListener('abort', stop);
        done();
      }, ms);
      w.signal.addEventListener('abort', stop, { once: true });
    });
  /** The policy's status once an evaluation of its current spec started at or after `after` (ms). */
  const evaluatedSince = async (after: number): Promise<PolicyObject | undefined> => {
    const deadline = Date.now() + (w.timeoutMs ?? 180_000);
    while (!w.signal.aborted && Date.now() < deadline) {
      const obj = await read().catch(() => undefined);
      const at = Date.parse(obj?.status?.lastEvaluated ?? '');
      const current = obj?.status?.observedGeneration === obj?.metadata?.generation;
      if (current && at >= after) return obj;
      await sleep(w.pollMs ?? 500);
    }
    return undefined;
  };
  const ref = `SurveillancePolicy ${DRIFT_POLICY.namespace}/${DRIFT_POLICY.name}`;

  if (!(await evaluatedSince(0))) return gaveUp(w, ref);
  await w.client.customObjects.patchNamespacedCustomObject(
    { ...api, body: { spec: { interval: DRIFT_INTERVAL } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  w.say(`Drift: ${ref} now evaluates every ${DRIFT_INTERVAL} (in the cluster only).`);
  const steps = READMISSION_DRIFT.steps;
  for (const [i, strength] of steps.entries()) {
    if (w.signal.aborted) return;
    await w.logs.driftReadmission(strength);
    // Timestamps are to the second: an evaluation that starts in a later second read the new log.
    const written = Math.ceil(Date.now() / 1000) * 1000;
    w.say(
      `Drift ${i + 1} of ${steps.length}: readmission-risk's scores drift over the last ${READMISSION_DRIFT.days} days at strength ${strength}.`,
    );
    const obj = await evaluatedSince(written);
    if (!obj) return gaveUp(w, ref);
    const psi = obj.status?.metrics?.find((m) => m.name === 'risk-score-psi' && m.segment === undefined);
    w.say(
      `  evaluated: risk-score-psi ${psi?.value?.toFixed(3) ?? '?'} (${psi?.tier ?? 'not judged'}); worst tier ${obj.status?.worstTier ?? 'none'}`,
    );
  }
  w.say(`Drift done: kubectl describe sp ${DRIFT_POLICY.name} -n ${DRIFT_POLICY.namespace}`);
}

function gaveUp(w: DriftWalk, ref: string): void {
  if (!w.signal.aborted) w.say(`Drift: ${ref} was not evaluated in time; the drift stops here.`);
}
