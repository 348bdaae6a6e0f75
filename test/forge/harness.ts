// A local forge per test file, started from the Northwind Health seed with the OpenAPI contract check on,
// and octokit clients (the client Vigil uses) acting as the seed's users.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from 'octokit';
import {
  type LocalForge,
  type LocalForgeOptions,
  startLocalForge,
} from '../../controller/src/forge/local/index.js';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const SEED = resolve(REPO_ROOT, 'examples/forge/seed.yaml');
export const OWNER = 'northwind-health';
export const REPO = 'ai-deployments';

export async function startForge(options: Partial<LocalForgeOptions> = {}): Promise<LocalForge> {
  return startLocalForge({ seed: SEED, openApiCheck: true, webhookRetryDelaysMs: [100, 300], ...options });
}

/**
 * An octokit client acting as `login` (a seed user, or an App's bot such as `vigil[bot]`), without retries
 * or throttling unless asked (tests count calls).
 */
export function as(forge: LocalForge, login: string, extra: Record<string, unknown> = {}): Octokit {
  const bot = /^(.+)\[bot\]$/.exec(login)?.[1];
  const token = bot ? forge.appTokens[bot] : forge.tokens[login];
  if (!token) throw new Error(`no seed user ${login}`);
  return new Octokit({
    auth: token,
    baseUrl: forge.url,
    throttle: { enabled: false },
    retry: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    ...extra,
  });
}

/** An octokit client acting as a seed App (its installation token): the way Vigil talks to the forge. */
export function asApp(forge: LocalForge, slug: string, extra: Record<string, unknown> = {}): Octokit {
  const token = forge.appTokens[slug];
  if (!token) throw new Error(`no seed app ${slug}`);
  return new Octokit({
    auth: token,
    baseUrl: forge.url,
    throttle: { enabled: false },
    retry: { enabled: false },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    ...extra,
  });
}

/** The decoded text of a file at a ref, through the contents API. */
export async function readFile(
  client: Octokit,
  path: string,
  ref?: string,
): Promise<{ text: string; sha: string }> {
  const { data } = await client.rest.repos.getContent({
    owner: OWNER,
    repo: REPO,
    path,
    ...(ref ? { ref } : {}),
  });
  if (Array.isArray(data) || data.type !== 'file') throw new Error(`${path} is not a file`);
  return { text: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
}

/** Branch from main and commit one change to `path` on it, as the promotion flow does. */
export async function branchWithChange(
  client: Octokit,
  branch: string,
  path: string,
  edit: (text: string) => string,
  message = `Change ${path}`,
): Promise<string> {
  const { data: main } = await client.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' });
  await client.rest.git.createRef({
    owner: OWNER,
    repo: REPO,
    ref: `refs/heads/${branch}`,
    sha: main.object.sha,
  });
  const file = await readFile(client, path, branch);
  const { data } = await client.rest.repos.createOrUpdateFileContents({
    owner: OWNER,
    repo: REPO,
    path,
    branch,
    message,
    sha: file.sha,
    content: Buffer.from(edit(file.text)).toString('base64'),
  });
  return data.commit.sha!;
}
