import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadYamlFiles } from './files.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vigil-yaml-'));
  const files: Record<string, string> = {
    'repo/b.yaml': 'kind: B\n',
    'repo/a.yml': 'kind: A\n',
    'repo/notes.txt': 'not yaml\n',
    'repo/teams/z.yaml': 'kind: Z\n',
    'repo/teams/c.YAML': 'kind: C\n',
    'repo/node_modules/pkg/x.yaml': 'kind: Dependency\n',
    'repo/.github/workflows/ci.yaml': 'on: push\n',
    'repo/.pre-commit-config.yaml': 'repos: []\n',
    'repo/broken.yaml': 'a: 1\na: 2\n',
    'big.yaml': `a: "${'x'.repeat(2048)}"\n`,
    'gov/.vigilignore': '# mistakes kept for the docs\nbroken/\n*.draft.yaml\n',
    'gov/ok.yaml': 'kind: Ok\n',
    'gov/next.draft.yaml': 'kind: Draft\n',
    'gov/broken/bad.yaml': 'a: 1\na: 2\n',
    'gov/team/.vigilignore': '/local.yaml\n',
    'gov/team/local.yaml': 'kind: Local\n',
    'gov/team/member.yaml': 'kind: Member\n',
    'gov/team/broken/also.yaml': 'kind: AlsoSkipped\n',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  await symlink(join(root, 'repo'), join(root, 'repo/teams/loop'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadYamlFiles', () => {
  it('walks directories in sorted order, skipping dependencies, VCS and dot entries', async () => {
    const { documents, diagnostics } = await loadYamlFiles([join(root, 'repo')]);
    expect(documents.map((d) => [relative(root, d.file), d.value])).toEqual([
      ['repo/a.yml', { kind: 'A' }],
      ['repo/b.yaml', { kind: 'B' }],
      ['repo/teams/c.YAML', { kind: 'C' }],
      ['repo/teams/z.yaml', { kind: 'Z' }],
    ]);
    expect(diagnostics.map((d) => `${relative(root, d.file)}:${d.line}:${d.col} ${d.code}`)).toEqual([
      'repo/broken.yaml:2:1 yaml.duplicate-key',
    ]);
  });

  it('skips what a .vigilignore lists below its folder, and reads a path the caller names', async () => {
    const walked = await loadYamlFiles([join(root, 'gov')]);
    expect(walked.documents.map((d) => relative(root, d.file))).toEqual([
      'gov/ok.yaml',
      'gov/team/member.yaml',
    ]);
    expect(walked.diagnostics).toEqual([]);

    const named = await loadYamlFiles([join(root, 'gov/broken'), join(root, 'gov/next.draft.yaml')]);
    expect(named.documents.map((d) => relative(root, d.file))).toEqual(['gov/next.draft.yaml']);
    expect(named.diagnostics.map((d) => `${relative(root, d.file)}:${d.line} ${d.code}`)).toEqual([
      'gov/broken/bad.yaml:2 yaml.duplicate-key',
    ]);
  });

  it('keeps paths as the caller spelled them', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { documents, diagnostics } = await loadYamlFiles([
        'repo/teams',
        'missing.yaml',
        'repo/notes.txt',
      ]);
      // A file named explicitly is read whatever its extension (plain text is a YAML string); a symlinked
      // directory is followed once, and not back into a directory already walked.
      expect(documents.map((d) => d.file)).toEqual([
        'repo/notes.txt',
        'repo/teams/c.YAML',
        'repo/teams/loop/a.yml',
        'repo/teams/loop/b.yaml',
        'repo/teams/z.yaml',
      ]);
      expect(diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual([
        'missing.yaml yaml.unreadable',
        'repo/teams/loop/broken.yaml yaml.duplicate-key',
      ]);
      expect(diagnostics[0]).toEqual({
        file: 'missing.yaml',
        line: 0,
        col: 0,
        path: '',
        code: 'yaml.unreadable',
        message: 'cannot read the file: no such file or directory (ENOENT)',
        severity: 'error',
      });
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses an oversized file from its size', async () => {
    const { documents, diagnostics } = await loadYamlFiles([join(root, 'big.yaml')], { maxBytes: 1024 });
    expect(documents).toEqual([]);
    expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      'yaml.too-large file is 2 KiB; the limit is 1 KiB',
    ]);
  });
});
