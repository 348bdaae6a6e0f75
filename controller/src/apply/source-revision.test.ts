import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastCommitOf, SOURCE_REVISION_ANNOTATION, withSourceRevision } from './source-revision.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-source-revision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Platform',
      GIT_AUTHOR_EMAIL: 'platform@example.org',
      GIT_COMMITTER_NAME: 'Platform',
      GIT_COMMITTER_EMAIL: 'platform@example.org',
    },
  }).trim();

describe('lastCommitOf', () => {
  it('names the commit that last changed the file, and nothing once the file is edited or not committed', () => {
    git('init', '-q');
    writeFileSync(join(dir, 'policy.yaml'), 'kind: SignoffPolicy\n');
    writeFileSync(join(dir, 'other.yaml'), 'kind: UseCase\n');
    git('add', '.');
    git('commit', '-q', '-m', 'policy and use case');
    const first = git('rev-parse', 'HEAD');
    appendFileSync(join(dir, 'other.yaml'), '# edited\n');
    git('commit', '-q', '-am', 'use case only');
    // The policy's file did not change in the second commit.
    expect(lastCommitOf(join(dir, 'policy.yaml'))).toBe(first);
    expect(lastCommitOf(join(dir, 'other.yaml'))).toBe(git('rev-parse', 'HEAD'));
    appendFileSync(join(dir, 'policy.yaml'), '# not committed\n');
    expect(lastCommitOf(join(dir, 'policy.yaml'))).toBeUndefined();
    writeFileSync(join(dir, 'new.yaml'), 'kind: SignoffPolicy\n');
    expect(lastCommitOf(join(dir, 'new.yaml'))).toBeUndefined();
    expect(lastCommitOf(join(tmpdir(), 'no-such-dir-for-vigil', 'x.yaml'))).toBeUndefined();
  });

  it('is written on the object as its source annotation, keeping the annotations it had', () => {
    const object = { metadata: { name: 'p', annotations: { team: 'x' } } };
    expect(withSourceRevision(object, 'abc').metadata.annotations).toEqual({
      team: 'x',
      [SOURCE_REVISION_ANNOTATION]: 'abc',
    });
    expect(withSourceRevision(object, undefined)).toBe(object);
  });
});
