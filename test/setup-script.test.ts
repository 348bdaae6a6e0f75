// What `npm start` and `npm test` decide before their main job (scripts/setup.mjs): install the locked
// dependencies on a fresh clone or after package-lock.json changed, and not otherwise.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without type declarations.
import { installNeeded } from '../scripts/setup.mjs';

const decide = installNeeded as (root: string) => string | undefined;
let root: string;

function clone(): string {
  root = mkdtempSync(join(tmpdir(), 'vigil-setup-'));
  writeFileSync(join(root, 'package-lock.json'), '{}');
  return root;
}

/** What npm ci leaves: node_modules with its record of the install, dated `at` (seconds). */
function installed(at: number): void {
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  writeFileSync(join(root, 'node_modules', '.package-lock.json'), '{}');
  utimesSync(join(root, 'node_modules', '.package-lock.json'), at, at);
}

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('scripts/setup.mjs: install when needed', () => {
  it('installs on a fresh clone', () => {
    expect(decide(clone())).toBe('node_modules is missing');
  });

  it('installs when node_modules exists but no install finished in it', () => {
    mkdirSync(join(clone(), 'node_modules'));
    expect(decide(root)).toBe('node_modules is missing');
  });

  it('does not install again when the install is newer than the lockfile', () => {
    clone();
    utimesSync(join(root, 'package-lock.json'), 1_000, 1_000);
    installed(2_000);
    expect(decide(root)).toBeUndefined();
  });

  it('installs again when package-lock.json changed after the install (a pull, another branch)', () => {
    clone();
    installed(1_000);
    utimesSync(join(root, 'package-lock.json'), 2_000, 2_000);
    expect(decide(root)).toBe('package-lock.json changed since the last install');
  });
});
