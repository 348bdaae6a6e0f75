#!/usr/bin/env node
// The README's two commands, as written, in a fresh clone with nothing installed: clone the checkout's commit
// into an empty directory; `npm start` there must install, build and run until it prints the kubeconfig, answer
// the first kubectl command it prints (with every kubectl .ci/run fetched, each also refused a broken example at
// admission with vigil validate's message), stop cleanly on Ctrl-C and leave no temporary directory behind; then
// `npm test` there must pass. Exits non-zero on the first thing that is not so.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// npm ci and the first build take a few minutes on a cold cache.
const START_TIMEOUT_MS = 15 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

const say = (line) => process.stdout.write(`ci: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`ci: FAIL ${line}\nci: the clone is left in ${work} to look into\n`);
  process.exit(1);
};

const work = mkdtempSync(join(tmpdir(), 'vigil-fresh-clone-'));
// Readable by other users, as a clone in a home or build directory is: some tests run the CLI as an
// unprivileged user (a file that user may not read must give a one-line error), and mkdtemp makes it 0700.
chmodSync(work, 0o755);
const clone = join(work, 'vigil');
// `npm start` gets a temporary directory of its own, so that whatever it leaves there can be seen.
const startTmp = join(work, 'tmp');
mkdirSync(startTmp);

const commit = execFileSync('git', ['-C', source, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
say(`cloning ${commit} into ${clone}`);
if (execFileSync('git', ['-C', source, 'status', '--porcelain'], { encoding: 'utf8' }).trim()) {
  say('note: the checkout has changes not committed; the clone has only what is committed');
}
execFileSync('git', ['clone', '--quiet', source, clone], { stdio: 'inherit' });
execFileSync('git', ['-C', clone, 'checkout', '--quiet', '--detach', commit], { stdio: 'inherit' });

say('npm start (in the fresh clone)');
let output = '';
// A process group of its own, so that SIGINT reaches npm and everything under it, as Ctrl-C at a terminal does.
const start = spawn('npm', ['start'], {
  cwd: clone,
  detached: true,
  env: { ...process.env, TMPDIR: startTmp, NO_COLOR: '1' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const exited = new Promise((done) => start.on('exit', (code, signal) => done({ code, signal })));
for (const stream of [start.stdout, start.stderr]) {
  stream.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
  });
}
const stopGroup = (signal) => {
  try {
    process.kill(-start.pid, signal);
  } catch {
    // Already gone.
  }
};
process.on('exit', () => stopGroup('SIGKILL'));

const ready = await Promise.race([
  (async () => {
    while (!output.includes('Press Ctrl-C to stop.')) await new Promise((r) => setTimeout(r, 200));
    return 'ready';
  })(),
  exited.then(({ code, signal }) => `exited (${code ?? signal}) before it was ready`),
  new Promise((r) =>
    setTimeout(() => r(`not ready within ${START_TIMEOUT_MS / 60_000} minutes`), START_TIMEOUT_MS),
  ),
]);
if (ready !== 'ready') fail(`npm start ${ready}`);

const kubeconfig = /export KUBECONFIG=(\S+)/.exec(output)?.[1];
if (!kubeconfig) fail('npm start did not print "export KUBECONFIG=..."');
const get = spawnSync('kubectl', ['get', 'usecases', '-A'], {
  env: { ...process.env, KUBECONFIG: kubeconfig },
  encoding: 'utf8',
});
process.stdout.write(get.stdout ?? '');
if (get.status !== 0) fail(`kubectl get usecases -A, as npm start printed: ${get.stderr || get.error}`);
const useCases = get.stdout.trim().split('\n').length - 1;
if (useCases < 1) fail('kubectl get usecases -A lists no use case');
say(`kubectl get usecases -A lists ${useCases} use cases`);

// Every kubectl .ci/run fetched (the current one and Debian 12's 1.20), and the one on PATH: each reads the use
// cases, and `kubectl apply` of a mistake from examples/broken/ is refused at admission with the message
// `vigil validate` prints for it.
const broken = 'examples/broken/cron-never-fires.yaml';
const validated = spawnSync(process.execPath, ['bin/vigil.js', 'validate', broken], {
  cwd: clone,
  encoding: 'utf8',
  env: { ...process.env, NO_COLOR: '1' },
});
const expected = /^\S+:\d+:\d+: error: (.+)$/m.exec(validated.stdout ?? '')?.[1];
if (validated.status !== 1 || !expected)
  fail(`vigil validate ${broken} did not refuse it: ${validated.stdout}`);
const asKubeconfig = { ...process.env, KUBECONFIG: kubeconfig };
spawnSync('kubectl', ['create', 'namespace', 'broken-cron-never-fires'], { env: asKubeconfig });
const kubectls = [
  'kubectl',
  ...['current', 'debian']
    .map((which) => join(source, '.cache', 'kubectl', which, 'kubectl'))
    .filter((path) => existsSync(path)),
];
for (const kubectl of kubectls) {
  const version = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const listed = spawnSync(kubectl, ['get', 'usecases', '-A'], { env: asKubeconfig, encoding: 'utf8' });
  if (listed.status !== 0) fail(`${kubectl} get usecases -A (${version}): ${listed.stderr}`);
  const applied = spawnSync(kubectl, ['apply', '-f', join(clone, broken)], {
    env: asKubeconfig,
    encoding: 'utf8',
  });
  if (applied.status === 0 || !applied.stderr.includes(`denied the request: ${expected}`)) {
    fail(`${kubectl} apply -f ${broken} (${version}) was not refused with "${expected}": ${applied.stderr}`);
  }
  say(`${version}: lists the use cases; kubectl apply -f ${broken} refused: ${expected}`);
}

say('Ctrl-C');
stopGroup('SIGINT');
const stopped = await Promise.race([
  exited,
  new Promise((r) => setTimeout(() => r({ code: 'timeout' }), STOP_TIMEOUT_MS)),
]);
if (stopped.code !== 0) fail(`npm start did not exit cleanly on Ctrl-C (${stopped.code ?? stopped.signal})`);
if (!output.includes('Stopped.')) fail('npm start did not print "Stopped."');
const left = readdirSync(startTmp);
if (left.length > 0) fail(`npm start left temporary files behind: ${left.join(', ')}`);
say('npm start stopped cleanly and removed its temporary directories');

say('npm test (in the fresh clone)');
const test = spawnSync('npm', ['test'], { cwd: clone, stdio: 'inherit' });
if (test.status !== 0) fail(`npm test exited ${test.status ?? test.signal}`);

rmSync(work, { recursive: true, force: true });
say("the README's two commands pass in a fresh clone");
