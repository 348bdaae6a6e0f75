// A small world of its own for the tests of who wrote and who pushed a change: one organisation whose
// authors, reviewers and a would-be forger each sit in a team, one repository without branch protection (so a
// test may push and force-push branches as anyone with write access can), and a webhook receiver.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Seed } from '../../controller/src/forge/local/index.js';

export const ORG = 'acme-health';
export const REPO_NAME = 'deployments';
export const repo = { owner: ORG, repo: REPO_NAME };

const user = (login: string) => ({
  login,
  name: `Person ${login}`,
  email: `${login}@acme-health.example`,
  token: `provenance-${login}`,
});

export const PROVENANCE_SEED: Seed = {
  organizations: [
    {
      login: ORG,
      teams: [
        { slug: 'authors', maintainers: ['author-lead'], members: ['author', 'mallory'] },
        { slug: 'clinical-safety', maintainers: ['safety-lead'], members: ['safety-officer'] },
        { slug: 'compliance', maintainers: ['compliance-lead'], members: [] },
      ],
    },
  ],
  users: ['author-lead', 'author', 'mallory', 'safety-lead', 'safety-officer', 'compliance-lead'].map(user),
  repositories: [
    {
      fullName: `${ORG}/${REPO_NAME}`,
      defaultBranch: 'main',
      private: true,
      content: { 'services/triage/values.yaml': 'image: triage\nversion: "1.0.0"\n' },
      initialCommitter: 'author-lead',
    },
  ],
};

export interface Received {
  event: string;
  headers: IncomingHttpHeaders;
  payload: Record<string, unknown> & { action?: string };
}

/** Records every delivery it receives (signatures are checked by the forge's own webhook tests). */
export class Receiver {
  readonly received: Received[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          event: String(req.headers['x-github-event']),
          headers: req.headers,
          payload: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  of(event: string, action?: string): Received[] {
    return this.received.filter(
      (d) => d.event === event && (action === undefined || d.payload.action === action),
    );
  }
}
