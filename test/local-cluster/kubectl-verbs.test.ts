// The kubectl verbs people use on Vigil's kinds, run with the real kubectl against the local cluster.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlAtLeast } from '../support/kubectl-version.js';
import { FIXTURES, type Harness, startHarness, tableRows } from './harness.js';

// What the kubectl on PATH does on the client side: from 1.25 it asks the server for field validation
// (--validate=strict|warn) instead of validating against OpenAPI v2 itself; from 1.26 it names the patch type a
// 415 refuses; from 1.27 explain reads the OpenAPI v3 document. The server's answers are the same either way.
const serverFieldValidation = kubectlAtLeast(25);
const namesRefusedPatchType = kubectlAtLeast(26);
const explainsFromOpenApiV3 = kubectlAtLeast(27);

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.ok(['apply', '-f', join(FIXTURES, 'crds')]);
  await h.ok(['wait', '--for', 'condition=established', 'crd/usecases.vigil.dev', '--timeout=10s']);
  await h.ok(['apply', '-f', join(FIXTURES, 'objects')]);
});

afterAll(async () => {
  await h?.stop();
});

const useCase = (name: string, spec: string) => `apiVersion: vigil.dev/v1alpha1
kind: UseCase
metadata:
  name: ${name}
  namespace: default
spec:
${spec}`;

describe('kubectl against the local cluster', () => {
  it('applies CRDs and then objects, reporting each as created', async () => {
    const out = await h.ok(['apply', '-f', join(FIXTURES, 'objects', 'denials-triage.yaml')]);
    expect(out.trim()).toBe('usecase.vigil.dev/denials-triage unchanged');
    const crds = await h.ok(['get', 'crd']);
    expect(tableRows(crds)[0]).toEqual(['NAME', 'CREATED AT']);
    expect(crds).toContain('usecases.vigil.dev');
  });

  it('applies a directory recursively with -R', async () => {
    const out = await h.ok(['apply', '-R', '-f', join(FIXTURES, 'tree')]);
    expect(out).toContain('usecase.vigil.dev/ambient-documentation created');
    expect(out).toContain('usecase.vigil.dev/prior-auth-summary created');
  });

  it('lists use cases across namespaces with the printer columns', async () => {
    const rows = tableRows(await h.ok(['get', 'uc', '-A']));
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'RISK', 'READY', 'AGE']);
    const readmission = rows.find((r) => r[1] === 'readmission-risk');
    expect(readmission?.slice(0, 3)).toEqual(['default', 'readmission-risk', 'clinical-decision-support']);
    expect(readmission?.[3]).toMatch(/^\d+s$/);
    const wide = tableRows(await h.ok(['get', 'uc', 'readmission-risk', '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'RISK', 'REPLICAS', 'READY', 'AGE']);
    expect(wide[1]?.slice(0, 3)).toEqual(['readmission-risk', 'clinical-decision-support', '2']);
  });

  it('lists by category: kubectl get vigil -A', async () => {
    const rows = tableRows(await h.ok(['get', 'vigil', '-A']));
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'RISK', 'READY', 'AGE']);
    expect(rows.slice(1).map((r) => `${r[0]}/${r[1]}`)).toEqual(
      expect.arrayContaining([
        'default/denials-triage',
        'kube-public/ambient-documentation',
        'kube-public/prior-auth-summary',
      ]),
    );
  });

  it('prints YAML with server-set metadata and schema defaults', async () => {
    const out = await h.ok(['get', 'uc', 'denials-triage', '-o', 'yaml']);
    expect(out).toContain('kind: UseCase');
    expect(out).toMatch(/uid: [0-9a-f-]{36}/);
    expect(out).toMatch(/resourceVersion: "\d+"/);
    expect(out).toContain('generation: 1');
    expect(out).toContain('replicas: 1');
    expect(out).toContain('owner: unassigned');
  });

  it('evaluates -o jsonpath', async () => {
    const out = await h.ok([
      'get',
      'uc',
      '-n',
      'default',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.spec.riskClass}{"\\n"}{end}',
    ]);
    expect(out.trim().split('\n')).toEqual([
      'denials-triage=administrative',
      'readmission-risk=clinical-decision-support',
    ]);
  });

  it('labels an object and selects by the label', async () => {
    expect((await h.ok(['label', 'uc', 'denials-triage', 'team=revenue-cycle'])).trim()).toBe(
      'usecase.vigil.dev/denials-triage labeled',
    );
    const rows = tableRows(await h.ok(['get', 'uc', '-l', 'team=revenue-cycle']));
    expect(rows.map((r) => r[0])).toEqual(['NAME', 'denials-triage']);
    expect(
      tableRows(await h.ok(['get', 'uc', '-l', 'team!=revenue-cycle', '-n', 'default'])).map((r) => r[0]),
    ).toEqual(['NAME', 'readmission-risk']);
  });

  it('patches with a JSON merge patch and raises the generation on spec changes only', async () => {
    const before = await h.ok(['get', 'uc', 'denials-triage', '-o', 'jsonpath={.metadata.generation}']);
    await h.ok(['patch', 'uc', 'denials-triage', '--type', 'merge', '-p', '{"spec":{"replicas":3}}']);
    await h.ok(['annotate', 'uc', 'denials-triage', 'note=metadata-only']);
    const out = await h.ok([
      'get',
      'uc',
      'denials-triage',
      '-o',
      'jsonpath={.spec.replicas} {.metadata.generation}',
    ]);
    expect(out).toBe(`3 ${Number(before) + 1}`);
  });

  it('patches with a JSON patch', async () => {
    await h.ok([
      'patch',
      'uc',
      'denials-triage',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/title","value":"Denials triage v2"}]',
    ]);
    expect(await h.ok(['get', 'uc', 'denials-triage', '-o', 'jsonpath={.spec.title}'])).toBe(
      'Denials triage v2',
    );
  });

  it('refuses a strategic merge patch on a custom resource with 415, as a real server does', async () => {
    const r = await h.kubectl(['patch', 'uc', 'denials-triage', '-p', '{"spec":{"replicas":4}}']);
    expect(r.code).not.toBe(0);
    // Before 1.26 kubectl prints the server's Status as it came, reason and message.
    if (namesRefusedPatchType)
      expect(r.stderr).toContain('application/strategic-merge-patch+json is not supported');
    else
      expect(r.stderr).toContain(
        'Error from server (UnsupportedMediaType): the body of the request was in an unknown format',
      );
    expect(r.stderr).toContain(
      'accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  it('edits through KUBE_EDITOR', async () => {
    const editor = join(h.dir, 'editor.sh');
    writeFileSync(
      editor,
      '#!/bin/sh\nsed -i \'s/title: Readmission risk$/title: Readmission risk (edited)/\' "$1"\n',
      { mode: 0o755 },
    );
    const out = await h.ok(['edit', 'uc', 'readmission-risk'], { env: { KUBE_EDITOR: editor } });
    expect(out.trim()).toBe('usecase.vigil.dev/readmission-risk edited');
    expect(await h.ok(['get', 'uc', 'readmission-risk', '-o', 'jsonpath={.spec.title}'])).toBe(
      'Readmission risk (edited)',
    );
  });

  it('refuses an invalid object, naming each field as a real server does', async () => {
    const input = useCase('bad', '  riskClass: experimental\n  replicas: "many"\n');
    let r = await h.kubectl(['apply', '-f', '-'], { input });
    if (!serverFieldValidation) {
      // An older kubectl checks types and required fields against the OpenAPI v2 schema and sends nothing;
      // with that check off, the server answers as it does a current kubectl.
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('error validating "STDIN"');
      expect(r.stderr).toContain(
        'ValidationError(UseCase.spec.replicas): invalid type for dev.vigil.v1alpha1.UseCase.spec.replicas: got "string", expected "integer"',
      );
      expect(r.stderr).toContain(
        'ValidationError(UseCase.spec): missing required field "title" in dev.vigil.v1alpha1.UseCase.spec',
      );
      expect((await h.kubectl(['get', 'uc', 'bad'])).stderr).toContain('usecases.vigil.dev "bad" not found');
      r = await h.kubectl(['apply', '--validate=false', '-f', '-'], { input });
    }
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The UseCase "bad" is invalid');
    expect(r.stderr).toContain('spec.title: Required value');
    expect(r.stderr).toContain(
      'spec.riskClass: Unsupported value: "experimental": supported values: "administrative", "operational", "clinical-decision-support", "medical-device"',
    );
    expect(r.stderr).toContain(
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    );
    expect((await h.kubectl(['get', 'uc', 'bad'])).stderr).toContain('usecases.vigil.dev "bad" not found');
  });

  it('rejects unknown fields under Strict field validation and warns under Warn', async () => {
    const doc = useCase('strict', '  title: Strict\n  riskClass: operational\n  colour: blue\n');
    const strict = await h.kubectl(['apply', '-f', '-'], { input: doc });
    if (serverFieldValidation)
      expect(strict.stderr).toContain(
        'UseCase in version "v1alpha1" cannot be handled as a UseCase: strict decoding error: unknown field "spec.colour"',
      );
    else
      expect(strict.stderr).toContain(
        'ValidationError(UseCase.spec): unknown field "colour" in dev.vigil.v1alpha1.UseCase.spec',
      );
    expect(strict.code).not.toBe(0);
    expect((await h.kubectl(['get', 'uc', 'strict'])).stderr).toContain(
      'usecases.vigil.dev "strict" not found',
    );
    // An older kubectl has no --validate=warn; with its own check off it sends no fieldValidation, and the
    // server's default is Warn.
    const warn = await h.kubectl(
      ['apply', serverFieldValidation ? '--validate=warn' : '--validate=false', '-f', '-'],
      { input: doc },
    );
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('Warning: unknown field "spec.colour"');
    expect(await h.ok(['get', 'uc', 'strict', '-o', 'jsonpath={.spec}'])).not.toContain('colour');
  });

  it('applies server-side, creating and then updating', async () => {
    const doc = (title: string) => useCase('server-side', `  title: ${title}\n  riskClass: operational\n`);
    expect((await h.ok(['apply', '--server-side', '-f', '-'], { input: doc('First') })).trim()).toBe(
      'usecase.vigil.dev/server-side serverside-applied',
    );
    await h.ok(['apply', '--server-side', '-f', '-'], { input: doc('Second') });
    expect(
      await h.ok(['get', 'uc', 'server-side', '-o', 'jsonpath={.spec.title} {.metadata.generation}']),
    ).toBe('Second 2');
    const badDoc = useCase('server-side', '  title: x\n  riskClass: operational\n  colour: 1\n');
    let bad = await h.kubectl(['apply', '--server-side', '-f', '-'], { input: badDoc });
    if (!serverFieldValidation) {
      // An older kubectl refuses the unknown field itself; with that check off, the server refuses it too.
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain(
        'ValidationError(UseCase.spec): unknown field "colour" in dev.vigil.v1alpha1.UseCase.spec',
      );
      bad = await h.kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], { input: badDoc });
    }
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('.spec.colour: field not declared in schema');
    expect(await h.ok(['get', 'uc', 'server-side', '-o', 'jsonpath={.spec.title}'])).toBe('Second');
  });

  it.runIf(explainsFromOpenApiV3)('explains a kind and a field from the OpenAPI v3 document', async () => {
    const kind = await h.ok(['explain', 'uc']);
    expect(kind).toContain('KIND:       UseCase');
    expect(kind).toContain('UseCase declares an AI use case as a product.');
    const field = await h.ok(['explain', 'uc.spec.riskClass']);
    expect(field).toContain('FIELD: riskClass <string>');
    expect(field).toContain('clinical-decision-support');
    expect(field).toContain('Risk class; decides which sign-offs are required.');
  });

  it.skipIf(explainsFromOpenApiV3)('explains a kind and a field from the OpenAPI v2 document', async () => {
    const kind = await h.ok(['explain', 'uc']);
    expect(kind).toMatch(/^KIND: {5}UseCase$/m);
    expect(kind).toMatch(/^VERSION: {2}vigil\.dev\/v1alpha1$/m);
    expect(kind).toContain('UseCase declares an AI use case as a product.');
    expect(kind).toMatch(/^ {3}spec\t<Object>$/m);
    // kubectl before 1.27 prints neither a field's enum nor its default.
    const field = await h.ok(['explain', 'uc.spec.riskClass']);
    expect(field).toMatch(/^FIELD: {4}riskClass <string>$/m);
    expect(field).toContain('Risk class; decides which sign-offs are required.');
  });

  it('answers 409 Conflict to an update from a stale resourceVersion', async () => {
    const stale = await h.ok(['get', 'uc', 'readmission-risk', '-o', 'json']);
    await h.ok(['patch', 'uc', 'readmission-risk', '--type', 'merge', '-p', '{"spec":{"replicas":5}}']);
    const r = await h.kubectl(['replace', '-f', '-'], { input: stale });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Operation cannot be fulfilled on usecases.vigil.dev "readmission-risk": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('serves built-in kinds: namespaces, configmaps and secrets, with their columns', async () => {
    await h.ok(['create', 'namespace', 'pilot-clinic']);
    await h.ok([
      'create',
      'configmap',
      'settings',
      '-n',
      'pilot-clinic',
      '--from-literal=wave=1',
      '--from-literal=site=north',
    ]);
    await h.ok(['create', 'secret', 'generic', 'token', '-n', 'pilot-clinic', '--from-literal=token=s3cr3t']);
    const cms = tableRows(await h.ok(['get', 'configmap', 'settings', '-n', 'pilot-clinic']));
    expect(cms[0]).toEqual(['NAME', 'DATA', 'AGE']);
    expect(cms[1]?.slice(0, 2)).toEqual(['settings', '2']);
    const secrets = tableRows(await h.ok(['get', 'secret', '-n', 'pilot-clinic']));
    expect(secrets[0]).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(secrets[1]?.slice(0, 3)).toEqual(['token', 'Opaque', '1']);
    const token = await h.ok([
      'get',
      'secret',
      'token',
      '-n',
      'pilot-clinic',
      '-o',
      'jsonpath={.data.token}',
    ]);
    expect(Buffer.from(token, 'base64').toString()).toBe('s3cr3t');
  });

  it('deletes a namespace with everything in it', async () => {
    await h.ok(['create', 'namespace', 'doomed']);
    await h.ok(['apply', '-f', '-'], {
      input: useCase('inside', '  title: Inside\n  riskClass: operational\n').replace(
        'namespace: default',
        'namespace: doomed',
      ),
    });
    expect((await h.ok(['delete', 'namespace', 'doomed'])).trim()).toBe('namespace "doomed" deleted');
    expect((await h.kubectl(['get', 'namespace', 'doomed'])).stderr).toContain(
      'namespaces "doomed" not found',
    );
    expect((await h.ok(['get', 'uc', '-A'])).includes('inside')).toBe(false);
    const protectedNs = await h.kubectl(['delete', 'namespace', 'default']);
    expect(protectedNs.stderr).toContain(
      'namespaces "default" is forbidden: this namespace may not be deleted',
    );
  });
});
