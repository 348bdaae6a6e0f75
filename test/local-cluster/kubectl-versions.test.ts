// The same user story with the oldest kubectl a user is likely to have (Debian 12's kubernetes-client, 1.20,
// which reads the OpenAPI v2 document only as protobuf) and the current one (from the npm package that also
// carries helm): install the CRDs, apply an example governance repository, list and inspect it, change it,
// have a mistake refused, delete. Both binaries come from scripts/kubectl.mjs; where one cannot be obtained
// the story is skipped with the reason, except in CI, where that is a failure.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { type Harness, REPO_ROOT, startHarness, tableRows } from './harness.js';

const CRD_DIR = join(REPO_ROOT, 'crd');
const EXAMPLE_DIR = join(REPO_ROOT, 'examples', 'care-management');
const USE_CASE_FILE = join(EXAMPLE_DIR, 'readmission-risk.yaml');
const MISTAKE_FILE = join(REPO_ROOT, 'examples', 'broken', 'misspelled-field.yaml');
const inCi = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);

interface Kubectl {
  title: string;
  path?: string;
}

// scripts/ is plain JavaScript outside the TypeScript project, so its type is stated here.
const script = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'kubectl.mjs')).href)) as {
  oldKubectlPath(): Promise<string>;
  currentKubectlPath(): Promise<string>;
};

async function obtain(title: string, get: () => Promise<string>): Promise<Kubectl> {
  try {
    const path = await get();
    const { stdout } = await promisify(execFile)(path, ['version', '--client', '-o', 'json']);
    const version = (JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion
      .gitVersion;
    return { title: `${title} ${version}`, path };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (inCi) throw new Error(`${title} is needed for this test and could not be obtained: ${reason}`);
    // Test titles are cut short in reports; the whole reason goes to the log.
    console.warn(`${title} is not available here, so its story is skipped: ${reason}`);
    return { title: `${title} (not available here)` };
  }
}

const kubectls = [
  await obtain('Debian 12 kubectl', script.oldKubectlPath),
  await obtain('current kubectl', script.currentKubectlPath),
];

interface Declared {
  kind: string;
  name: string;
}

function declaredIn(dir: string): Declared[] {
  const out: Declared[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      const o = doc.toJSON() as { kind?: string; metadata?: { name?: string } } | null;
      if (o?.kind && o.metadata?.name) out.push({ kind: o.kind, name: o.metadata.name });
    }
  }
  return out;
}

interface PrinterColumn {
  name: string;
  priority?: number;
}

/** The printer columns crd/usecases.vigil.dev.yaml declares, as kubectl heads them. */
function useCaseColumns(wide: boolean): string[] {
  const crd = parse(readFileSync(join(CRD_DIR, 'usecases.vigil.dev.yaml'), 'utf8')) as {
    spec: { versions: Array<{ additionalPrinterColumns: PrinterColumn[] }> };
  };
  const columns = crd.spec.versions[0]?.additionalPrinterColumns ?? [];
  return ['NAME', ...columns.filter((c) => wide || !c.priority).map((c) => c.name.toUpperCase())];
}

describe.each(kubectls)('the user story with $title', (kubectl) => {
  let h: Harness;
  const crdFiles = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'));
  const declared = declaredIn(EXAMPLE_DIR).filter((d) => d.kind !== 'Namespace');
  const useCase = parse(readFileSync(USE_CASE_FILE, 'utf8')) as {
    metadata: { name: string; namespace: string };
    spec: { title: string; riskClass: string; ownerTeam: string; candidate: { version: string } };
  };
  const { name, namespace } = useCase.metadata;

  beforeAll(async () => {
    if (kubectl.path) h = await startHarness({ kubectlPath: kubectl.path });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it.skipIf(!kubectl.path)(
    'kubectl apply -f crd/ installs every kind, and each becomes established',
    async () => {
      const out = await h.ok(['apply', '-f', CRD_DIR]);
      for (const file of crdFiles)
        expect(out).toContain(
          `customresourcedefinition.apiextensions.k8s.io/${file.replace(/\.yaml$/, '')} created`,
        );
      const waited = await h.ok(['wait', '--for', 'condition=established', 'crd', '--all', '--timeout=30s']);
      expect(waited.trim().split('\n')).toHaveLength(crdFiles.length);
    },
  );

  it.skipIf(!kubectl.path)('kubectl apply -R -f examples/care-management creates each object', async () => {
    const out = await h.ok(['apply', '-R', '-f', EXAMPLE_DIR]);
    expect(out).toContain(`namespace/${namespace} created`);
    for (const d of declared) expect(out).toContain(`${d.kind.toLowerCase()}.vigil.dev/${d.name} created`);
    // Applying the same files again changes nothing the user wrote.
    const again = await h.ok(['apply', '-f', USE_CASE_FILE]);
    expect(again.trim()).toBe(`usecase.vigil.dev/${name} unchanged`);
  });

  it.skipIf(!kubectl.path)('kubectl get vigil -A lists every object of every Vigil kind', async () => {
    const out = await h.ok(['get', 'vigil', '-A', '-o', 'name']);
    const listed = out.trim().split('\n').sort();
    expect(listed).toEqual(declared.map((d) => `${d.kind.toLowerCase()}.vigil.dev/${d.name}`).sort());
    // The table form: one table per kind, each with its header, one row per object.
    const table = tableRows(await h.ok(['get', 'vigil', '-A']));
    const rows = table.filter((r) => r[0] !== 'NAMESPACE');
    expect(rows.map((r) => r[1]).sort()).toEqual(listed);
  });

  it.skipIf(!kubectl.path)('kubectl get uc shows the printer columns the CRD declares', async () => {
    const rows = tableRows(await h.ok(['get', 'uc', '-n', namespace]));
    expect(rows[0]).toEqual(useCaseColumns(false));
    expect(rows).toHaveLength(2);
    expect(rows[1]?.slice(0, 2)).toEqual([name, useCase.spec.riskClass]);
    expect(rows[1]).toContain(useCase.spec.candidate.version);
    const wide = tableRows(await h.ok(['get', 'uc', '-n', namespace, '-o', 'wide']));
    expect(wide[0]).toEqual(useCaseColumns(true));
    expect(wide[1]).toContain(useCase.spec.ownerTeam);
  });

  it.skipIf(!kubectl.path)('kubectl describe and explain show the use case and its schema', async () => {
    const out = await h.ok(['describe', 'uc', name, '-n', namespace]);
    expect(out).toMatch(new RegExp(`^Name:\\s+${name}$`, 'm'));
    expect(out).toMatch(/^Kind:\s+UseCase$/m);
    expect(out).toMatch(new RegExp(`Title:\\s+${useCase.spec.title}`));
    const explained = await h.ok(['explain', 'usecases.spec.humanOversight']);
    expect(explained).toMatch(/^KIND:\s+UseCase$/m);
    expect(explained).toContain('samplePercent');
  });

  it.skipIf(!kubectl.path)('kubectl patch, label and edit change the use case', async () => {
    await h.ok(['patch', 'uc', name, '-n', namespace, '--type', 'merge', '-p', '{"spec":{"suspend":true}}']);
    await h.ok(['label', 'uc', name, '-n', namespace, 'review=due']);
    // kubectl edit runs $KUBE_EDITOR on a temporary file; this editor raises the sample rate from 20 to 25.
    const editor = join(h.dir, 'editor.mjs');
    writeFileSync(
      editor,
      "import { readFileSync, writeFileSync } from 'node:fs';\n" +
        'const f = process.argv[2];\n' +
        "writeFileSync(f, readFileSync(f, 'utf8').replace('samplePercent: 20', 'samplePercent: 25'));\n",
    );
    const edited = await h.ok(['edit', 'uc', name, '-n', namespace], {
      env: { KUBE_EDITOR: `${process.execPath} ${editor}` },
    });
    expect(edited.trim()).toBe(`usecase.vigil.dev/${name} edited`);
    const got = await h.ok([
      'get',
      'uc',
      name,
      '-n',
      namespace,
      '-o',
      'jsonpath={.spec.suspend} {.metadata.labels.review} {.spec.humanOversight.samplePercent}',
    ]);
    expect(got).toBe('true due 25');
  });

  it.skipIf(!kubectl.path)(
    'kubectl apply refuses a use case with a misspelled field, naming the field',
    async () => {
      await h.ok(['create', 'namespace', 'broken-misspelled-field']);
      const r = await h.kubectl(['apply', '-f', MISTAKE_FILE]);
      expect(r.code).not.toBe(0);
      // kubectl 1.20 refuses the file from the OpenAPI v2 schema before sending any of it; a current kubectl
      // asks the server for strict field validation, which refuses the use case (the file's train and policy
      // are valid and go in). Either way the user reads the misspelled field's name.
      expect(r.stderr).toMatch(/unknown field "(spec\.)?survelliancePolicy"/);
      const left = await h.kubectl(['get', 'uc', '-n', 'broken-misspelled-field']);
      expect(left.stderr).toContain('No resources found in broken-misspelled-field namespace.');
    },
  );

  it.skipIf(!kubectl.path)('kubectl delete removes the use case and leaves the rest', async () => {
    const out = await h.ok(['delete', '-f', USE_CASE_FILE]);
    expect(out.trim()).toBe(`usecase.vigil.dev "${name}" deleted`);
    const gone = await h.kubectl(['get', 'uc', '-n', namespace]);
    expect(gone.code).toBe(0);
    expect(gone.stderr).toContain(`No resources found in ${namespace} namespace.`);
    const rest = (await h.ok(['get', 'vigil', '-n', namespace, '-o', 'name'])).trim().split('\n').sort();
    const expected = declared.filter((d) => d.kind !== 'UseCase' || d.name !== name);
    expect(rest).toEqual(expected.map((d) => `${d.kind.toLowerCase()}.vigil.dev/${d.name}`).sort());
  });
});
