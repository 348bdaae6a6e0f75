import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PushLedger, type PushRecord, pushInPayload } from './pushes.js';

const REPO = 'northwind-health/ai-deployments';
const sha = (n: number) => n.toString(16).padStart(40, 'a');
const push = (over: Partial<PushRecord> = {}): PushRecord => ({
  repository: REPO,
  ref: 'refs/heads/edit',
  before: sha(0),
  after: sha(2),
  commits: [sha(1), sha(2)],
  pusher: 'ds-3',
  forced: false,
  at: '2026-03-02T14:05:00.000Z',
  ...over,
});

const dirs: string[] = [];
const ledgerFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pushes-'));
  dirs.push(dir);
  return join(dir, 'state', 'pushes.jsonl');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('PushLedger', () => {
  it('names everyone who pushed a commit, first pusher first, each once, by repository', () => {
    const ledger = new PushLedger();
    ledger.record(push());
    // The same commit pushed again to another branch by someone else, and once more by the first pusher.
    ledger.record(push({ ref: 'refs/heads/other', pusher: 'ds-lead', commits: [sha(2)] }));
    ledger.record(push({ ref: 'refs/heads/third', commits: [sha(2)] }));
    expect(ledger.pushersOf(REPO, sha(1))).toEqual(['ds-3']);
    expect(ledger.pushersOf(REPO.toUpperCase(), sha(2).toUpperCase())).toEqual(['ds-3', 'ds-lead']);
    expect(ledger.pushersOf('northwind-health/other', sha(1))).toEqual([]);
    expect(ledger.pushersOf(REPO, sha(9))).toEqual([]);
  });

  it('counts a ref moved onto an existing commit as a push of that commit', () => {
    const ledger = new PushLedger();
    ledger.record(push({ after: sha(5), commits: [], forced: true, pusher: 'ds-lead' }));
    expect(ledger.pushersOf(REPO, sha(5))).toEqual(['ds-lead']);
  });

  it('forgets the oldest pushes beyond its capacity', () => {
    const ledger = new PushLedger({ capacity: 2 });
    ledger.record(push({ commits: [sha(1)], after: sha(1), pusher: 'a' }));
    ledger.record(push({ commits: [sha(2)], after: sha(2), pusher: 'b' }));
    ledger.record(push({ commits: [sha(3)], after: sha(3), pusher: 'c' }));
    expect(ledger.size).toBe(2);
    expect(ledger.pushersOf(REPO, sha(1))).toEqual([]);
    expect(ledger.pushersOf(REPO, sha(3))).toEqual(['c']);
  });

  it('keeps the pushes across a restart, skipping a line cut short, and stays bounded on disk', () => {
    const file = ledgerFile();
    const first = new PushLedger({ capacity: 2, file });
    first.record(push({ commits: [sha(1)], after: sha(1), pusher: 'a' }));
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"repository":"${REPO}","ref`, { flag: 'w' });
    const restarted = new PushLedger({ capacity: 2, file });
    expect(restarted.pushersOf(REPO, sha(1))).toEqual(['a']);
    for (let i = 2; i < 8; i++) restarted.record(push({ commits: [sha(i)], after: sha(i), pusher: `p${i}` }));
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(lines.length).toBeLessThanOrEqual(4);
    const again = new PushLedger({ capacity: 2, file });
    expect(again.pushersOf(REPO, sha(7))).toEqual(['p7']);
    expect(again.pushersOf(REPO, sha(1))).toEqual([]);
  });

  it('goes on in memory when its file cannot be written, and says so', () => {
    // A plain file where the ledger's directory should be.
    const blocker = join(ledgerFile(), '..', '..', 'blocker');
    writeFileSync(blocker, '');
    const errors: unknown[] = [];
    const ledger = new PushLedger({
      file: join(blocker, 'pushes.jsonl'),
      onStoreError: (e) => errors.push(e),
    });
    ledger.record(push());
    expect(ledger.pushersOf(REPO, sha(1))).toEqual(['ds-3']);
    expect(errors).toHaveLength(1);
  });
});

describe('pushInPayload', () => {
  const payload = {
    ref: 'refs/heads/edit',
    before: sha(0),
    after: sha(2),
    forced: true,
    deleted: false,
    commits: [{ id: sha(1) }, { id: sha(2) }],
    pusher: { name: 'Someone Else', email: 'someone@example.org' },
    sender: { login: 'ds-3' },
    repository: { full_name: REPO },
  };
  const at = new Date('2026-03-02T14:05:00Z');

  it('takes the sender as the pusher: git names and e-mails are whatever the pusher wrote', () => {
    expect(pushInPayload(payload, at)).toEqual(push({ forced: true }));
  });

  it('falls back to the pusher GitHub names when a payload has no sender', () => {
    const { sender: _s, ...noSender } = payload;
    expect(pushInPayload({ ...noSender, pusher: { name: 'ds-lead' } }, at)?.pusher).toBe('ds-lead');
  });

  it('records nothing for a deleted branch or a payload missing what a push is', () => {
    expect(
      pushInPayload({ ...payload, after: '0'.repeat(40), deleted: true, commits: [] }, at),
    ).toBeUndefined();
    expect(pushInPayload({ ...payload, repository: {} }, at)).toBeUndefined();
    expect(pushInPayload({ ...payload, sender: {}, pusher: {} }, at)).toBeUndefined();
  });
});
