#!/usr/bin/env node
// Entry point for `vigil` and `kubectl vigil`; runs the compiled CLI (built by `npm run build`, which `npm ci` runs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'controller', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`vigil: not built yet (missing ${main}); run \`npm run build\` in ${root}\n`);
  process.exit(2);
}
const { run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv);
