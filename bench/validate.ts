// Benchmark: `vigil validate` over a generated governance tree of 10,000 documents (about 2 KB each), against a
// peer measured in the same run on the same files: a bare loop of yaml.parse plus a precompiled ajv validator.
// Goals: vigil validate in process, on one thread like the peer, at >= 75% of the peer's throughput; and the CLI,
// end to end as a user runs it (one worker thread per core for a tree this size), 10,000 documents in under 10 s.
// In process, vigil is called as the CLI calls it: reporting only, so valid objects are not kept for the caller.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { addFormats } from '../controller/src/json-schema.js';
import { scanForPhi } from '../controller/src/phi/index.js';
import { MAX_THREADS, PARALLEL_FROM, validatePaths } from '../controller/src/validate/index.js';
import { jsonSchemaFor, repositoryRoot } from '../specs/generate.js';
import { KINDS } from '../specs/kinds.js';

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 10_000);
const PER_NAMESPACE = 100;
const RUNS = 3;
const CORES = availableParallelism();

function useCase(ns: string, i: number): string {
  return `apiVersion: vigil.dev/v1alpha1
kind: UseCase
metadata:
  name: use-case-${i}
  namespace: ${ns}
  labels:
    app.kubernetes.io/part-of: bench
spec:
  title: Generated use case ${i} for throughput measurement
  description: A generated operational use case that exercises most fields of the kind at a realistic size.
  ownerTeam: northwind-health/data-science
  sponsors:
    clinical: cmio-office
    executive: coo-office
  riskClass: clinical-decision-support
  intendedUse: Prioritise work queues for staff review; every output is reviewed by a person before any action.
  contraindications:
    - Not for use in paediatric encounters.
    - Not for use as the sole basis of a clinical decision.
  knownLimitations:
    - Trained on encounters from 2019 to 2024; performance on new sites is unmeasured.
  humanOversight:
    mode: sample
    samplePercent: 15
    confidenceRouting:
      standardAbove: 0.85
      assistedAbove: 0.6
  model:
    name: model-${i}
    registryUri: "models:/model-${i}"
  dataContracts:
    - name: feed
  releaseTrain: monthly
  surveillancePolicy: watch
  signoffPolicy: signoff
  deployment:
    repository: northwind-health/ai-deployments
    targets:
      - stage: staging
        file: ${ns}/model-${i}/staging.yaml
        field: model.version
      - stage: production
        file: ${ns}/model-${i}/production.yaml
        field: model.version
  versions:
    - stage: production
      version: "1.${i % 10}.0"
  candidate:
    version: "1.${(i % 10) + 1}.0"
    changeTicket: CHG${String(1_000_000 + i).padStart(7, '0')}
    rollbackPlan: https://wiki.northwind-health.example/runbooks/model-${i}
    evaluation:
      evaluatedAt: "2026-10-30T12:00:00Z"
      results:
        - metric: auroc
          value: 0.78
        - metric: calibration-error
          value: 0.03
  readiness:
    rollbackProcedure:
      status: done
      evidence: https://wiki.northwind-health.example/runbooks/model-${i}
    monitoringAndAlerting:
      status: in-progress
`;
}

const shared = (ns: string) => [
  `apiVersion: vigil.dev/v1alpha1
kind: ReleaseTrain
metadata: { name: monthly, namespace: ${ns} }
spec:
  schedule: { cron: "0 6 1 * *", timeZone: America/Chicago }
  stages:
    - name: staging
      gates: { evaluation: [{ metric: auroc, min: 0.7 }] }
    - name: production
      gates: { minSoak: 14d }
  changeTicketPattern: "^CHG[0-9]{7}$"
`,
  `apiVersion: vigil.dev/v1alpha1
kind: SignoffPolicy
metadata: { name: signoff, namespace: ${ns} }
spec:
  roles:
    - { name: data-science, team: northwind-health/data-science }
    - { name: clinical-safety, team: northwind-health/clinical-safety }
  requirements:
    - { riskClass: clinical-decision-support, roles: [data-science, clinical-safety] }
  enforcement: { repository: northwind-health/ai-deployments }
`,
  `apiVersion: vigil.dev/v1alpha1
kind: SurveillancePolicy
metadata: { name: watch, namespace: ${ns} }
spec:
  inferenceLog: { uri: data/log.parquet }
  metrics:
    - name: auroc
      kind: performance
      source: { sql: "select auroc as value, n as samples from inference_log" }
      baseline: 0.78
      direction: higher-is-better
      tiers: [{ at: 5, action: notify }, { at: 10, action: review }, { at: 15, action: rollback }]
`,
  `apiVersion: vigil.dev/v1alpha1
kind: DataContract
metadata: { name: feed, namespace: ${ns} }
spec:
  id: feed
  version: "1.0.0"
  status: active
  ownerTeam: northwind-health/data-platform
  schema:
    - name: encounters
      properties:
        - { name: encounter_id, logicalType: integer, required: true, primaryKey: true, phi: quasi-identifier }
        - { name: readmitted, logicalType: string, phi: sensitive }
`,
];

function generateTree(): { dir: string; files: string[]; bytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-validate-'));
  let written = 0;
  let bytes = 0;
  const files: string[] = [];
  for (let n = 0; written < DOCUMENTS; n++) {
    const ns = `domain-${n}`;
    mkdirSync(join(dir, ns));
    const docs = shared(ns);
    for (let i = 0; i < PER_NAMESPACE - docs.length && written + docs.length + i < DOCUMENTS; i++)
      docs.push(useCase(ns, i));
    docs.forEach((text, i) => {
      const file = join(dir, ns, `${String(i).padStart(3, '0')}.yaml`);
      writeFileSync(file, text);
      files.push(file);
      bytes += Buffer.byteLength(text);
    });
    written += docs.length;
  }
  return { dir, files, bytes };
}

/** The peer: read, parse, and validate each document with a precompiled ajv validator per kind. */
function bareLoop(files: readonly string[]): { documents: number; invalid: number } {
  let documents = 0;
  let invalid = 0;
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const value = doc.toJS() as { kind: string };
      documents++;
      if (!validators.get(value.kind)!(value)) invalid++;
    }
  }
  return { documents, invalid };
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = new Map(KINDS.map((k) => [k.kind, ajv.compile(jsonSchemaFor(k))]));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const tree = generateTree();
  const docs = tree.files.length;
  process.stdout.write(
    `validate benchmark: ${docs} documents in ${tree.files.length} files, ${(tree.bytes / docs / 1024).toFixed(1)} KB each on average (${(tree.bytes / 1024 / 1024).toFixed(1)} MiB), ${CORES} cores\n`,
  );
  try {
    const phi = (doc: Parameters<typeof scanForPhi>[0]) => scanForPhi(doc, {});
    // Warm up both, and check both agree the tree is valid.
    const peer = bareLoop(tree.files);
    const report = await validatePaths([tree.dir], { phi, keepObjects: false, threads: 1 });
    if (peer.invalid !== 0 || report.errors !== 0 || report.documents !== docs) {
      throw new Error(
        `generated tree not valid: peer invalid ${peer.invalid}, vigil errors ${report.errors}: ${JSON.stringify(report.diagnostics.slice(0, 3))}`,
      );
    }
    const peerTimes: number[] = [];
    const vigilTimes: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      peerTimes.push(await time(() => bareLoop(tree.files)));
      vigilTimes.push(await time(() => validatePaths([tree.dir], { phi, keepObjects: false, threads: 1 })));
    }
    // The CLI as a user runs it (`--threads auto`: worker threads for a tree this size), and on one thread.
    const cli = async (threads: string) => {
      let stdout = '';
      const ms = await time(async () => {
        ({ stdout } = await promisify(execFile)(
          process.execPath,
          [join(repositoryRoot(), 'bin/vigil.js'), 'validate', '--threads', threads, tree.dir],
          { maxBuffer: 1 << 26 },
        ));
      });
      return { ms, stdout };
    };
    const cliRuns: { ms: number; stdout: string }[] = [];
    for (let r = 0; r < RUNS; r++) cliRuns.push(await cli('auto'));
    const cliOneThread = await cli('1');
    if (cliRuns.some((r) => r.stdout !== cliOneThread.stdout))
      throw new Error('the CLI printed a different report with worker threads than on one thread');
    const autoThreads = docs > PARALLEL_FROM ? Math.min(CORES, MAX_THREADS) : 1;
    const autoLabel =
      autoThreads > 1 ? `${autoThreads} worker threads + main thread` : '1 thread, no workers';
    const peerMs = median(peerTimes);
    const vigilMs = median(vigilTimes);
    const cliMs = median(cliRuns.map((r) => r.ms));
    const rows = [
      ['yaml.parse + precompiled ajv (peer), in process, 1 thread', peerMs],
      ['vigil validate, in process, 1 thread (schemas, references, PHI)', vigilMs],
      [`vigil validate CLI end to end, --threads auto (${autoLabel})`, cliMs],
      ['vigil validate CLI end to end, --threads 1 (1 thread)', cliOneThread.ms],
    ] as const;
    for (const [name, ms] of rows) {
      process.stdout.write(
        `  ${name.padEnd(72)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${Math.round((docs / ms) * 1000)
          .toString()
          .padStart(7)} docs/s\n`,
      );
    }
    const ratio = peerMs / vigilMs;
    process.stdout.write(
      `  vigil in process (1 thread) throughput / peer (1 thread) throughput: ${(ratio * 100).toFixed(0)}% (goal >= 75%)\n`,
    );
    process.stdout.write(
      `  ${docs} documents by the CLI (--threads auto: ${autoLabel}) in ${(cliMs / 1000).toFixed(2)} s (goal < 10 s); CLI runs: ${cliRuns.map((r) => (r.ms / 1000).toFixed(2)).join(', ')} s\n`,
    );
    process.stdout.write(
      `  peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`,
    );
  } finally {
    rmSync(tree.dir, { recursive: true, force: true });
  }
}

await main();
