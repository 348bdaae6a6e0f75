#!/usr/bin/env node
// What `npm start` and `npm test` do before their main job, so that both work on a fresh clone: install the
// locked dependencies when node_modules is missing or older than package-lock.json, then build.
//
//   node scripts/setup.mjs            install if needed, then build
//   import { setUp } from './setup.mjs'; setUp()
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Why the installed packages do not match the lockfile, or undefined when they do. npm writes
 * node_modules/.package-lock.json on every install; a lockfile changed after it (a pull, a branch) means the
 * installed tree may be out of date.
 */
export function installNeeded(root = repoRoot) {
  const stamp = mtime(join(root, 'node_modules', '.package-lock.json'));
  if (stamp === undefined) return 'node_modules is missing';
  const lock = mtime(join(root, 'package-lock.json'));
  if (lock !== undefined && lock > stamp) return 'package-lock.json changed since the last install';
  return undefined;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Run npm with these arguments in the repository, as the npm that runs this script when there is one. */
function npm(args) {
  const cli = process.env.npm_execpath;
  const [command, argv] = cli && /\.[cm]?js$/.test(cli) ? [process.execPath, [cli, ...args]] : ['npm', args];
  const result = spawnSync(command, argv, {
    cwd: repoRoot,
    stdio: 'inherit',
    shell: process.platform === 'win32' && command === 'npm',
  });
  if (result.error) throw new SetupError(`cannot run npm: ${result.error.message}`);
  if (result.status !== 0) {
    throw new SetupError(
      `npm ${args.filter((a) => !a.startsWith('--')).join(' ')} failed (exit ${result.status ?? result.signal}); see its output above`,
    );
  }
}

export class SetupError extends Error {
  name = 'SetupError';
}

/** Install when needed (npm ci also builds, through the prepare script), else build. */
export function setUp() {
  const why = installNeeded();
  if (why) {
    process.stderr.write(`vigil: ${why}; installing the locked dependencies (npm ci) ...\n`);
    npm(['ci', '--no-audit', '--no-fund']);
    return;
  }
  npm(['run', 'build', '--silent']);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setUp();
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(`vigil: ${err.message}\n`);
    process.exit(1);
  }
}
