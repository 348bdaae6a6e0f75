// `npm run bench`: every benchmark in turn, each in its own process so one's heap does not weigh on the next.
// `npm run bench -- validate` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = [
  'validate',
  'hostile-yaml',
  'local-cluster',
  'controller',
  'change-control',
  'contracts',
  'surveillance',
];
const here = dirname(fileURLToPath(import.meta.url));
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !BENCHMARKS.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of chosen.length ? chosen : BENCHMARKS) {
  const script = join(here, `${name}.js`);
  if (!existsSync(script)) {
    process.stdout.write(`\n== ${name}: not built (${script} missing)\n`);
    failed++;
    continue;
  }
  process.stdout.write(`\n== ${name}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', script], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
