// A scripted GitHub for unit tests of the adapter: each request is answered by a handler, and every request is
// kept, so tests can prove what was (and was not) sent.
import { tokenFromSecret } from './credentials.js';
import { createGitHubForge, type GitHubForgeOptions } from './github-forge.js';

export const TEST_TOKEN = 'vigil-unit-test-token-0123456789';

export interface SeenRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
  at: number;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function scriptedGitHub(handler: (req: SeenRequest) => Answer | Promise<Answer>) {
  const requests: SeenRequest[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const req: SeenRequest = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url,
      headers: new Headers(init?.headers),
      body: text ? JSON.parse(text) : undefined,
      at: Date.now(),
    };
    requests.push(req);
    const answer = await handler(req);
    const empty = answer.status === 204 || answer.status === 304 || answer.body === undefined;
    return new Response(empty ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...answer.headers },
    });
  };
  return { fetch, requests };
}

export function forgeOver(fetch: GitHubForgeOptions['fetch'], options: Partial<GitHubForgeOptions> = {}) {
  return createGitHubForge({
    credentials: tokenFromSecret(Buffer.from(TEST_TOKEN), 'vigil-system/test'),
    baseUrl: 'https://github.test',
    fetch,
    retryBaseMs: 1,
    ...options,
  });
}
