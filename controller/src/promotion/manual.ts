// `vigil promote`: a person asks for a promotion. The gates are checked first, exactly as a departure would
// check them; the Promotion is created only when every gate passes, and the controller opens the pull request.
// It is always a forward promotion without break-glass, whatever else the caller wants.
import { API_GROUP, API_VERSION } from '../../../specs/common.js';
import { releaseTrainSpec } from '../../../specs/releasetrain.js';
import { type UseCaseStatus, useCaseSpec } from '../../../specs/usecase.js';
import type { GateResult } from '../kinds/usecase/gates.js';
import { type ClusterClient, isConflict, isNotFound, type KubeObject } from '../runtime/index.js';
import { gatesFor, planPromotion, runningVersions } from './plan.js';

export type ManualPromotion =
  | { created: boolean; name: string; namespace: string; version: string; from?: string; gates: GateResult[] }
  | { refused: string; gates: GateResult[] };

export async function requestPromotion(
  client: ClusterClient,
  namespace: string,
  useCase: string,
  to: string,
  now: Date,
): Promise<ManualPromotion> {
  const read = async (plural: string, name: string) => {
    try {
      return (await client.customObjects.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        namespace,
        plural,
        name,
      })) as KubeObject & { spec?: unknown; status?: unknown };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  const ucObj = await read('usecases', useCase);
  if (!ucObj)
    return { refused: `UseCase "${useCase}" does not exist in namespace "${namespace}"`, gates: [] };
  const parsed = useCaseSpec.safeParse(ucObj.spec);
  if (!parsed.success)
    return { refused: `UseCase "${useCase}" has an invalid spec; run vigil validate`, gates: [] };
  const spec = parsed.data;
  const status = ucObj.status as UseCaseStatus | undefined;
  if (!spec.candidate) return { refused: `UseCase "${useCase}" declares no candidate version`, gates: [] };
  const trainObj = await read('releasetrains', spec.releaseTrain);
  const train = trainObj ? releaseTrainSpec.safeParse(trainObj.spec) : undefined;
  if (!train?.success) {
    return {
      refused: `ReleaseTrain "${spec.releaseTrain}" is missing or invalid in namespace "${namespace}"`,
      gates: [],
    };
  }
  if (!train.data.stages.some((s) => s.name === to)) {
    return {
      refused: `stage "${to}" is not on ReleaseTrain "${spec.releaseTrain}" (its stages: ${train.data.stages.map((s) => s.name).join(', ')})`,
      gates: [],
    };
  }
  const running = runningVersions(spec, status);
  if (running.get(to) === spec.candidate.version) {
    return { refused: `${to} already runs ${spec.candidate.version}`, gates: [] };
  }
  const { from, gates } = gatesFor(spec, status, train.data, to, now);
  const failing = gates.filter((g) => !g.passed);
  if (failing.length > 0) {
    return { refused: `${failing.length} of ${gates.length} gates fail for ${to}`, gates };
  }
  const previousVersion = running.get(to);
  const body = planPromotion({
    useCase: { namespace, name: useCase, ...(ucObj.metadata.uid ? { uid: ucObj.metadata.uid } : {}), spec },
    // A person's request is a promotion and never break-glass: only the controller opens rollbacks.
    type: 'promotion',
    trigger: 'manual',
    breakGlass: false,
    ...(from !== undefined ? { from } : {}),
    to,
    version: spec.candidate.version,
    ...(previousVersion !== undefined ? { previousVersion } : {}),
  });
  let created = true;
  try {
    await client.customObjects.createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: 'promotions',
      body: body as unknown as KubeObject,
    });
  } catch (error) {
    if (!isConflict(error)) throw error;
    created = false;
  }
  return {
    created,
    name: body.metadata.name,
    namespace,
    version: spec.candidate.version,
    ...(from !== undefined ? { from } : {}),
    gates,
  };
}
