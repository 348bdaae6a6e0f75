// `helm lint --strict` with the chart's values schema, the packaged chart, and the documentation of values.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, type Pair, parseDocument, type YAMLMap } from 'yaml';
import { chartDir, get, helm, helmPath, parseObjects, renderText, run } from './chart.js';

beforeAll(async () => {
  await helmPath();
}, 180_000);

describe('helm lint --strict', () => {
  it('passes with the default values', async () => {
    const result = await helm(['lint', '--strict', chartDir]);
    expect(result.stdout + result.stderr).toContain('0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('passes with the CRDs switched off', async () => {
    const result = await helm(['lint', '--strict', chartDir, '--set', 'crds.install=false']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('passes with every value a reviewer is likely to set', async () => {
    const result = await helm([
      'lint',
      '--strict',
      chartDir,
      '--set',
      'controller.watchNamespaces={radiology,revenue-cycle}',
      '--set',
      'github.tokenSecret.name=vigil-github',
      '--set',
      'webhook.secret.name=vigil-webhook',
      '--set',
      'ingress.enabled=true,ingress.host=vigil.example.org',
      '--set',
      'serviceMonitor.enabled=true',
      '--set',
      'replicaCount=3',
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it.each([
    ['replicaCount=two', /replicaCount: Invalid type\. Expected: integer, given: string/],
    ['replicaCount=0', /replicaCount: Must be greater than or equal to 1/],
    ['replicas=2', /Additional property replicas is not allowed/],
    ['image.pullPolicy=Sometimes', /image\.pullPolicy: image\.pullPolicy must be one of the following/],
    ['image.digest=latest', /image\.digest: Does not match pattern/],
    [
      'controller.logLevel=verbose',
      /controller\.logLevel: controller\.logLevel must be one of the following/,
    ],
    ['crds.install=maybe', /crds\.install: Invalid type\. Expected: boolean, given: string/],
    [
      'controller.watchNamespaces={Not_A_Namespace}',
      /controller\.watchNamespaces\.0: Does not match pattern/,
    ],
    [
      'networkPolicy.egress.forge.cidrs={github.com}',
      /networkPolicy\.egress\.forge\.cidrs\.0: Does not match/,
    ],
    ['github.tokenSecret.nmae=x', /Additional property nmae is not allowed/],
  ])('fails on %s, naming the field', async (setting, message) => {
    const result = await helm(['lint', '--strict', chartDir, '--set', setting]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(message);
  });
});

describe('the packaged chart', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'vigil-chart-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('carries the CRDs from crd/ and renders the same as the chart directory', async () => {
    const packaged = await helm(['package', chartDir, '--destination', outDir]);
    expect(packaged.code, packaged.stderr).toBe(0);
    const archive = join(outDir, 'vigil-0.1.0.tgz');
    expect(existsSync(archive)).toBe(true);
    const listing = await run('tar', ['-tzf', archive]);
    const files = listing.stdout.split('\n').filter(Boolean).sort();
    expect(files.filter((f) => f.startsWith('vigil/files/crds/'))).toEqual([
      'vigil/files/crds/datacontracts.vigil.dev.yaml',
      'vigil/files/crds/promotions.vigil.dev.yaml',
      'vigil/files/crds/releasetrains.vigil.dev.yaml',
      'vigil/files/crds/signoffpolicies.vigil.dev.yaml',
      'vigil/files/crds/surveillancepolicies.vigil.dev.yaml',
      'vigil/files/crds/usecases.vigil.dev.yaml',
    ]);
    expect(files).toContain('vigil/values.schema.json');
    const fromArchive = parseObjects(await renderText({}, archive));
    const fromDirectory = parseObjects(await renderText({}));
    expect(fromArchive.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(6);
    expect(fromArchive).toEqual(fromDirectory);
    const lint = await helm(['lint', '--strict', archive]);
    expect(lint.code, lint.stdout).toBe(0);
  });
});

describe('NOTES.txt', () => {
  // helm prints the notes only on install and upgrade, which need a cluster serving every kind the chart
  // renders. To read them here, a copy of the chart renders NOTES.txt through tpl into a ConfigMap.
  const copy = mkdtempSync(join(tmpdir(), 'vigil-notes-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  async function notes(values: string[] = []): Promise<string> {
    const chart = join(copy, 'vigil');
    if (!existsSync(chart)) {
      cpSync(chartDir, chart, { recursive: true, dereference: true });
      cpSync(join(chartDir, 'templates', 'NOTES.txt'), join(chart, 'notes-preview.txt'));
      writeFileSync(
        join(chart, 'templates', 'notes-preview.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes-preview.txt") . | toJson }}\n',
      );
    }
    const args = [
      'template',
      'gov',
      chart,
      '--namespace',
      'vigil-system',
      '--show-only',
      'templates/notes-preview.yaml',
    ];
    const result = await helm([...args, ...values.flatMap((v) => ['--set', v])]);
    expect(result.code, result.stderr).toBe(0);
    const [configMap] = parseObjects(result.stdout);
    return get<string>(configMap, 'data.notes');
  }

  it('tells what to check next and warns about missing credentials', async () => {
    const text = await notes();
    expect(text).toContain('kubectl -n vigil-system rollout status deployment/gov-vigil');
    expect(text).toContain('kubectl -n vigil-system get lease gov-vigil');
    expect(text).toContain('kubectl get vigil -A');
    expect(text).toContain('WARNING: no GitHub credentials are configured');
    expect(text).toContain('WARNING: webhook.secret.name is not set');
  });

  it('drops the warnings once credentials are configured, and names the webhook URL', async () => {
    const text = await notes([
      'github.tokenSecret.name=vigil-github',
      'webhook.secret.name=vigil-webhook',
      'ingress.enabled=true',
      'ingress.host=vigil.example.org',
      'crds.install=false',
    ]);
    expect(text).not.toContain('WARNING');
    expect(text).toContain('https://vigil.example.org/webhooks/github');
    expect(text).toContain('kubectl get crd -l app.kubernetes.io/part-of=vigil');
  });
});

describe('values.yaml', () => {
  const doc = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as {
    properties: Record<string, unknown>;
  };

  /** Keys without a comment of their own, unless every key below them has one. */
  function undocumented(map: YAMLMap, path: string, firstComment: string | undefined): string[] {
    const missing: string[] = [];
    map.items.forEach((item, index) => {
      const pair = item as Pair;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyPath = path ? `${path}.${key}` : key;
      const comment =
        (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (index === 0 ? firstComment : '');
      if (comment?.trim()) return;
      if (isMap(pair.value) && pair.value.items.length > 0) {
        missing.push(...undocumented(pair.value, keyPath, pair.value.commentBefore ?? undefined));
      } else {
        missing.push(keyPath);
      }
    });
    return missing;
  }

  it('comments every value', () => {
    expect(isMap(doc.contents)).toBe(true);
    expect(undocumented(doc.contents as YAMLMap, '', doc.commentBefore ?? undefined)).toEqual([]);
  });

  it('has a schema entry for every top-level value, and holds no credentials', () => {
    const keys = (doc.contents as YAMLMap).items.map((p) => String((p.key as { value: unknown }).value));
    expect(keys.sort()).toEqual(Object.keys(schema.properties).sort());
    const text = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
    expect(text).not.toMatch(/-----BEGIN|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_/);
  });
});
