// What the readmission-risk tests against the local cluster and forge share: the use case on an express train,
// the example's score drift metric alone, an inference log whose scores shift in the last two weeks, Vigil's
// controllers as the tests run them, and the reviews and check they read in the forge.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Octokit } from 'octokit';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import {
  EXAMPLE_LOG_OPTIONS,
  generateInferenceLog,
  inferenceLogCsv,
} from '../../controller/src/metrics/example-inference-log.js';
import { loadSourceEncounters } from '../../controller/src/metrics/example-log-source.js';
import { registerControllers } from '../../controller/src/reconcilers.js';
import { type ClusterClient, Manager } from '../../controller/src/runtime/index.js';
import { as, OWNER, REPO, REPO_ROOT } from '../forge/harness.js';
import { testLogger } from '../runtime/cluster-fixture.js';
import { example, expressTrain } from './express-train.js';

const ENCOUNTERS = join(REPO_ROOT, 'examples', 'data', 'uci-diabetes-130', 'encounters-sample.csv');

/** readmission-risk on an express train (silent, then production), its change plan done, no contracts read. */
export function readmissionRisk() {
  const uc = example('care-management/readmission-risk.yaml');
  return {
    ...uc,
    spec: {
      ...uc.spec,
      releaseTrain: 'express',
      dataContracts: [],
      readiness: {
        ...uc.spec.readiness,
        changeManagementPlan: {
          status: 'done',
          evidence: 'https://wiki.northwind-health.example/care-management/readmission-risk/change-plan',
        },
      },
    },
  };
}

/** The express train readmission-risk rides in `namespace`: silent, then production behind an AUROC gate. */
export const readmissionTrain = (namespace: string) =>
  expressTrain(namespace, {
    cron: '0 7 15 1 *',
    stages: [
      { name: 'silent' },
      { name: 'production', gates: { evaluation: [{ metric: 'auroc', min: 0.68 }] } },
    ],
  });

/** The example policy's score drift metric alone: the one the shifted log lets a new version breach. */
export function driftPolicy() {
  const policy = example('care-management/readmission-surveillance.yaml');
  return {
    ...policy,
    spec: {
      ...policy.spec,
      // Both windows must reach minSamples before a drift is judged. The test's log holds 415 rows of 2.4.0 in
      // the 90-day baseline window (2.4.0 arrived late in it), fewer than the example's 500: judge from 400.
      metrics: policy.spec.metrics
        .filter((m: { name: string }) => m.name === 'risk-score-psi')
        .map((m: Record<string, unknown>) => ({ ...m, minSamples: 400 })),
    },
  };
}

/**
 * A new data directory holding data/readmission-inference-log.csv: the example log's generator, ending now, with a
 * case-mix shift in the last 14 days 2.5 times the example's, which takes the PSI of 2.4.0's scores well past the
 * policy's severe-shift tier (0.25).
 */
export async function shiftedLogDirectory(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'data'));
  const rows = generateInferenceLog(await loadSourceEncounters(ENCOUNTERS), {
    ...EXAMPLE_LOG_OPTIONS,
    end: new Date(),
    shift: 0.5,
  });
  writeFileSync(join(dir, 'data', 'readmission-inference-log.csv'), inferenceLogCsv(rows));
  return dir;
}

/** Vigil's controllers against the local forge, as the tests run them: one replica, polling every 500 ms. */
export async function startVigil(
  client: ClusterClient,
  local: LocalForge,
  dataDir: string,
): Promise<Manager> {
  const forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
    retryBaseMs: 10,
  });
  const manager = new Manager({ client, leaderElection: false, probes: false, logger: testLogger() });
  registerControllers(manager, { forge, dataDir, pollIntervalMs: 500 });
  await manager.start();
  return manager;
}

/** `login` approves pull request `number` of the governed repository. */
export const approve = (local: LocalForge, login: string, number: number) =>
  as(local, login).rest.pulls.createReview({
    owner: OWNER,
    repo: REPO,
    pull_number: number,
    event: 'APPROVE',
  });

/** The vigil/sign-off check run on `ref`. */
export const signoffCheck = async (bot: Octokit, ref: string) =>
  (await bot.rest.checks.listForRef({ owner: OWNER, repo: REPO, ref, check_name: 'vigil/sign-off' })).data
    .check_runs[0];
