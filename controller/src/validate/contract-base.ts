// `vigil validate --base REF`: each DataContract in the tree against its version at REF, read from git history
// (the governance repository's CI names the pull request's base). A breaking change is reported with the
// consumers it affects; one without a new major version is an error at the contract's version field.

import { stat } from 'node:fs/promises';
import { relative, resolve as resolvePath, sep } from 'node:path';
import { type DataContractSpec, dataContractSpec } from '../../../specs/datacontract.js';
import { type UseCaseSpec, useCaseSpec } from '../../../specs/usecase.js';
import type { Diagnostic, PathSegment } from '../diagnostics.js';
import { breakingChanges, isMajorBump } from '../kinds/datacontract/breaking-changes.js';
import {
  findYamlFiles,
  loadYamlSource,
  readYamlFile,
  type SourceDocument,
  type YamlLoadOptions,
} from '../yaml/index.js';
import { fileAt, filesContaining, repositoryRoot, resolveCommit } from './git-history.js';

export interface LocatedBreakingChange {
  kind: string;
  message: string;
  /** In the contract's spec, e.g. `schema[0].properties[8].logicalTypeOptions.maximum`. */
  path: string;
  file: string;
  line: number;
  col: number;
}

export interface ContractAgainstBase {
  namespace: string;
  name: string;
  file: string;
  from: string;
  to: string;
  majorBump: boolean;
  breaking: LocatedBreakingChange[];
  /** `namespace/use-case`: listed by the contract (at REF or now) or naming it in the tree. */
  consumers: string[];
}

export interface BaseComparison {
  ref: string;
  commit: string;
  /** Contracts that exist at REF and now and differ in what breaks; new contracts have nothing to break. */
  contracts: ContractAgainstBase[];
  /** Contracts found in the tree and at REF, compared. */
  compared: number;
  diagnostics: Diagnostic[];
}

interface Found {
  namespace: string;
  name: string;
  file: string;
  spec: DataContractSpec;
  doc: SourceDocument;
}

/** Compare every DataContract under `paths` (files or directories) with the same contract at `ref`. */
export async function compareContractsWithBase(
  paths: readonly string[],
  ref: string,
  load: YamlLoadOptions = {},
): Promise<BaseComparison> {
  const first = paths[0] ?? '.';
  const firstDir = (await stat(first)).isDirectory() ? first : resolvePath(first, '..');
  const root = await repositoryRoot(firstDir);
  const commit = await resolveCommit(root, ref);

  const { files } = await findYamlFiles(paths);
  const now: Found[] = [];
  const useCases: { namespace: string; spec: UseCaseSpec; name: string }[] = [];
  for (const file of files) collect(readYamlFile(file, load).documents, file, now, useCases);

  const before = new Map<string, Found>();
  for (const path of paths) {
    const prefix = relative(root, resolvePath(path)).split(sep).join('/');
    for (const file of await filesContaining(root, commit, prefix, 'DataContract')) {
      if (!/\.ya?ml$/i.test(file)) continue;
      const text = await fileAt(root, commit, file);
      if (text === undefined) continue;
      const found: Found[] = [];
      collect(loadYamlSource(text, `${ref}:${file}`, load).documents, `${ref}:${file}`, found, []);
      for (const f of found) before.set(`${f.namespace}/${f.name}`, f);
    }
  }

  const contracts: ContractAgainstBase[] = [];
  const diagnostics: Diagnostic[] = [];
  let compared = 0;
  for (const c of now) {
    const was = before.get(`${c.namespace}/${c.name}`);
    if (!was) continue;
    compared++;
    const breaks = breakingChanges(was.spec, c.spec);
    if (breaks.length === 0) continue;
    const majorBump = isMajorBump(was.spec.version, c.spec.version);
    const consumers = new Set<string>();
    for (const spec of [was.spec, c.spec])
      for (const u of spec.consumers ?? []) consumers.add(`${u.namespace ?? c.namespace}/${u.useCase}`);
    for (const u of useCases)
      if (u.namespace === c.namespace && u.spec.dataContracts.some((d) => d.name === c.name))
        consumers.add(`${u.namespace}/${u.name}`);
    const breaking = breaks.map((b) => {
      const at = c.doc.locate(['spec', ...segments(b.path)]);
      return { ...b, file: c.file, line: at.line, col: at.col };
    });
    contracts.push({
      namespace: c.namespace,
      name: c.name,
      file: c.file,
      from: was.spec.version,
      to: c.spec.version,
      majorBump,
      breaking,
      consumers: [...consumers].sort(),
    });
    if (!majorBump) {
      const at = c.doc.locateValue(['spec', 'version']);
      const shown = breaks.slice(0, 3).map((b) => b.message);
      const more = breaks.length > 3 ? `; and ${breaks.length - 3} more` : '';
      diagnostics.push({
        file: c.file,
        ...at,
        path: 'spec.version',
        code: 'contract.breaking-without-major-version',
        message: `DataContract ${c.namespace}/${c.name} breaks its consumers against ${ref} (${shown.join('; ')}${more}) but its version goes from ${was.spec.version} to ${c.spec.version}: a breaking change needs a new major version`,
        hint: `version: "${nextMajor(was.spec.version)}"`,
        severity: 'error',
      });
    }
  }
  return { ref, commit, contracts, compared, diagnostics };
}

/** The DataContracts (that validate) and UseCases among `documents`. */
function collect(
  documents: readonly SourceDocument[],
  file: string,
  contracts: Found[],
  useCases: { namespace: string; name: string; spec: UseCaseSpec }[],
): void {
  for (const doc of documents) {
    const obj = doc.value as { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: unknown };
    if (typeof obj !== 'object' || obj === null) continue;
    if (typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('vigil.dev/')) continue;
    const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    if (typeof meta.name !== 'string') continue;
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
    // A spec that does not validate is reported by validation itself; there is nothing sound to compare.
    if (obj.kind === 'DataContract') {
      const parsed = dataContractSpec.safeParse(obj.spec);
      if (parsed.success) contracts.push({ namespace, name: meta.name, file, spec: parsed.data, doc });
    } else if (obj.kind === 'UseCase') {
      const parsed = useCaseSpec.safeParse(obj.spec);
      if (parsed.success) useCases.push({ namespace, name: meta.name, spec: parsed.data });
    }
  }
}

/** `schema[0].properties[3].phi` -> `['schema', 0, 'properties', 3, 'phi']` */
function segments(path: string): PathSegment[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

function nextMajor(version: string): string {
  const major = Number(/^(\d+)\./.exec(version)?.[1] ?? 0);
  return major === 0
    ? version.replace(/^0\.(\d+)\..*$/, (_, minor) => `0.${Number(minor) + 1}.0`)
    : `${major + 1}.0.0`;
}
