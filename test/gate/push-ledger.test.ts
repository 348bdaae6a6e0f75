// Who pushed which commit, as change control learns it from the forge's `push` webhooks: the local forge (OpenAPI
// check on) delivers them as GitHub does, people push through octokit as themselves, and the ledger change control
// keeps (beside its delivery ids) names the pusher of each commit, whatever the commit's own metadata says, and
// still does after a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeControl, startChangeControl } from '../../controller/src/change-control.js';
import { tokenFromSecret } from '../../controller/src/forge/github/credentials.js';
import { createGitHubForge } from '../../controller/src/forge/github/github-forge.js';
import type { LocalForge } from '../../controller/src/forge/local/index.js';
import type { Manager } from '../../controller/src/runtime/index.js';
import { as, branchWithChange, OWNER, REPO, readFile, startForge } from '../forge/harness.js';

const repository = `${OWNER}/${REPO}`;
const SECRET = 'push-ledger-secret';

/** Change control needs no Vigil object to keep the ledger; each run registers its metrics afresh. */
const manager = () =>
  ({
    informerFor: () => ({ list: () => [], get: () => undefined }),
    queueFor: () => undefined,
    metrics: { registry: new Registry() },
  }) as unknown as Manager;

let local: LocalForge;
let dir: string;

beforeAll(async () => {
  local = await startForge();
  dir = mkdtempSync(join(tmpdir(), 'vigil-push-ledger-'));
});

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ChangeControl> {
  const forge = await createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(local.appTokens.vigil!), 'test/vigil-app'),
    baseUrl: local.url,
  });
  return startChangeControl({
    manager: manager(),
    forge,
    logger: pino({ level: 'silent' }),
    webhook: {
      port: 0,
      host: '127.0.0.1',
      path: '/webhooks/github',
      secret: SECRET,
      deliveriesFile: join(dir, 'state', 'deliveries.log'),
    },
    pollIntervalMs: 600_000,
  });
}

describe('the push ledger', { timeout: 60_000 }, () => {
  it('names who pushed each commit, from push webhooks, and keeps it across a restart', async () => {
    let changeControl = await start();
    let first: string;
    try {
      local.webhooks.add({ url: changeControl.webhookUrl!, secret: SECRET });
      first = await branchWithChange(as(local, 'ds-3'), 'ledger-edit', 'README.md', (t) => `${t}\nOne.\n`);
      // Someone else pushes onto the same branch.
      const client = as(local, 'ds-lead');
      const readme = await readFile(client, 'README.md', 'ledger-edit');
      const { data } = await client.rest.repos.createOrUpdateFileContents({
        owner: OWNER,
        repo: REPO,
        path: 'README.md',
        branch: 'ledger-edit',
        message: 'Two',
        sha: readme.sha,
        content: Buffer.from(`${readme.text}Two.\n`).toString('base64'),
        // The commit claims someone else wrote and committed it: the ledger goes by who pushed.
        author: { name: 'ds-3', email: 'ds-3@northwind-health.example' },
        committer: { name: 'ds-3', email: 'ds-3@northwind-health.example' },
      });
      const second = data.commit.sha!;
      await local.webhooks.idle();
      expect(changeControl.pushes.pushersOf(repository, first)).toEqual(['ds-3']);
      expect(changeControl.pushes.pushersOf(repository, second)).toEqual(['ds-lead']);
    } finally {
      await changeControl.stop();
    }

    changeControl = await start();
    try {
      expect(changeControl.pushes.pushersOf(repository, first)).toEqual(['ds-3']);
    } finally {
      await changeControl.stop();
    }
  });
});
