// A forge command when the forge it was pointed at does not answer (npm start stopped, a stale URL): one line
// that says so, not the HTTP client's "connect ECONNREFUSED ... (HTTP 500)", which reads as the forge failing.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from './support/cli-output.js';

let work: string;
let url: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-forge-unreachable-'));
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await new Promise((done) => server.close(done));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const vigil = (...args: string[]) => runVigil(args, { cwd: work });

describe('a forge that does not answer', () => {
  const expected = () =>
    `vigil: cannot reach the forge at ${url}; is \`npm start\` (or \`vigil forge serve\`) running?\n`;

  it('vigil forge prs says so in one line', async () => {
    expect(await vigil('forge', 'prs', '--forge', url)).toEqual({ code: 1, out: '', err: expected() });
  });

  it('vigil forge approve says so in one line', async () => {
    expect(await vigil('forge', 'approve', '1', '--as', 'ds-lead', '--forge', url)).toEqual({
      code: 1,
      out: '',
      err: expected(),
    });
  });
});
