// The version each stage runs, read from the GitOps repository: the file and field each deployment target names,
// at the deployment branch. Read at most once per poll interval per file (and conditionally, so an unchanged
// file costs nothing against the rate limit); a stage whose file cannot be read keeps its declared version.
import type { UseCaseSpec } from '../../../../specs/usecase.js';
import { type Forge, ForgeError } from '../../forge/forge.js';
import { readVersionField } from '../../promotion/version-field.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import { truncateMessage } from '../../runtime/conditions.js';

interface FileRead {
  at: number;
  /** The version read; undefined when the field is absent (not deployed yet). */
  version?: string;
  problem?: string;
}

export interface ObservedVersions {
  versions: UseCaseSpec['versions'];
  condition: ConditionUpdate;
}

/** Pure: declared and observed versions merged, and the condition that tells where they differ. */
export function mergeVersions(
  spec: UseCaseSpec,
  observed: ReadonlyMap<string, { version?: string; problem?: string }>,
): ObservedVersions {
  const declared = new Map(spec.versions.map((v) => [v.stage, v.version]));
  const versions: UseCaseSpec['versions'] = [];
  const differences: string[] = [];
  const problems: string[] = [];
  for (const target of spec.deployment.targets) {
    const seen = observed.get(target.stage);
    const said = declared.get(target.stage);
    if (!seen || seen.problem !== undefined) {
      if (seen?.problem) problems.push(seen.problem);
      if (said !== undefined) versions.push({ stage: target.stage, version: said });
      continue;
    }
    if (seen.version !== undefined) versions.push({ stage: target.stage, version: seen.version });
    if (seen.version !== said) {
      differences.push(
        `${target.stage} runs ${seen.version ?? 'nothing'} in ${target.file}; spec.versions declares ${said ?? 'nothing'}`,
      );
    }
  }
  // Stages declared without a deployment target keep their declared version.
  for (const v of spec.versions) if (!versions.some((x) => x.stage === v.stage)) versions.push(v);
  let condition: ConditionUpdate;
  if (problems.length > 0) {
    condition = {
      type: 'VersionsObserved',
      status: 'Unknown',
      reason: 'RepositoryUnreadable',
      message: truncateMessage(`${problems.join('; ')}; using spec.versions for those stages`, 300),
    };
  } else if (differences.length > 0) {
    condition = {
      type: 'VersionsObserved',
      status: 'True',
      reason: 'DiffersFromDeclared',
      message: truncateMessage(`observed in ${spec.deployment.repository}: ${differences.join('; ')}`, 300),
    };
  } else {
    condition = {
      type: 'VersionsObserved',
      status: 'True',
      reason: 'MatchesDeclared',
      message: `every stage runs the version spec.versions declares, as read from ${spec.deployment.repository}@${spec.deployment.branch}`,
    };
  }
  return { versions, condition };
}

export class DeployedVersions {
  private readonly reads = new Map<string, FileRead>();

  constructor(
    private readonly forge: Forge,
    readonly pollIntervalMs: number,
  ) {}

  async read(spec: UseCaseSpec, now: Date): Promise<ObservedVersions> {
    const { repository, branch } = spec.deployment;
    const observed = new Map<string, FileRead>();
    for (const target of spec.deployment.targets) {
      const key = `${repository}@${branch}:${target.file}#${target.field}`;
      let read = this.reads.get(key);
      if (!read || now.getTime() - read.at >= this.pollIntervalMs) {
        read = await this.readOne(repository, branch, target.file, target.field, now);
        this.reads.set(key, read);
      }
      observed.set(target.stage, read);
    }
    return mergeVersions(spec, observed);
  }

  private async readOne(
    repo: string,
    branch: string,
    file: string,
    field: string,
    now: Date,
  ): Promise<FileRead> {
    try {
      const found = await this.forge.readFile(repo, file, branch);
      if (!found) return { at: now.getTime(), problem: `${file} does not exist in ${repo}@${branch}` };
      const version = readVersionField(found.content, file, field);
      return version === undefined ? { at: now.getTime() } : { at: now.getTime(), version };
    } catch (error) {
      // Unreadable now (down, rate limited, malformed): fall back to the declaration and say so.
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof ForgeError || error instanceof Error) {
        return { at: now.getTime(), problem: `${file}: ${message}` };
      }
      throw error;
    }
  }
}
