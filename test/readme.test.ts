// The README is the first thing a newcomer follows: every file it links to or names in a command exists in the
// repository, its two commands are the package's scripts, and what it says installs `kubectl vigil` is there.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};

describe('README', () => {
  it('links only to files that exist', () => {
    const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!.split('#')[0]!)
      .filter((l) => l !== '' && !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
  });

  it('names in its commands only repository paths that exist', () => {
    const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const paths = blocks
      .flatMap((b) => b.split('\n'))
      .map((line) => line.replace(/#.*$/, ''))
      .flatMap(
        (line) => line.match(/(?<![\w./-])(?:examples|docs|scripts|crd|charts|specs)\/[\w./-]*/g) ?? [],
      );
    expect(paths.length).toBeGreaterThan(3);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('its two commands are scripts of the package', () => {
    expect(README).toContain('npm start   #');
    expect(README).toContain('npm test    #');
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });

  it('says how kubectl vigil is installed, and the package has the command it names', () => {
    expect(pkg.bin['kubectl-vigil']).toBe('bin/vigil.js');
    expect(existsSync(join(ROOT, pkg.bin['kubectl-vigil']!))).toBe(true);
    expect(README).toMatch(/`npm link` in the clone[^.]*puts both on your `PATH`/);
  });
});
