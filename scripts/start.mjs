#!/usr/bin/env node
// `npm start`: on a fresh clone, install and build first; then run `vigil start` in this same process, so that
// Ctrl-C reaches it directly and it stops cleanly. Arguments pass through: `npm start -- --port 6443`.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, SetupError, setUp } from './setup.mjs';

try {
  setUp();
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  process.stderr.write(`vigil: ${err.message}\n`);
  process.exit(1);
}
const bin = join(repoRoot, 'bin', 'vigil.js');
const { run } = await import(
  pathToFileURL(join(repoRoot, 'dist', 'controller', 'src', 'cli', 'main.js')).href
);
process.exitCode = await run([process.execPath, bin, 'start', ...process.argv.slice(2)]);
