#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages a registry did not serve.
//
// Biome and DuckDB ship their binaries as optional packages, one per platform. A registry that serves only this
// platform's leaves the others out of the lock when npm writes it, and `npm ci` then refuses the lock as out of
// sync. Each missing package is added as an optional entry carrying its platform (os, cpu, libc), read from its
// name, so `npm ci` on any other platform skips it without fetching it. Run after `npm install` changes the lock:
//   node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const PLATFORM =
  /-(android|darwin|freebsd|linux|openbsd|sunos|win32)-(arm64|arm|ia32|x64|ppc64|s390x)(-(musl|gnu))?$/;

const added = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const where = `${path ? `${path}/` : ''}node_modules/${name}`;
    if (lock.packages[where] || lock.packages[`node_modules/${name}`]) continue;
    const platform = PLATFORM.exec(name);
    if (!platform) {
      process.stderr.write(
        `complete-lockfile: ${name} is missing and names no platform; install it instead\n`,
      );
      process.exitCode = 1;
      continue;
    }
    lock.packages[`node_modules/${name}`] = {
      version,
      cpu: [platform[2]],
      optional: true,
      os: [platform[1]],
      ...(platform[4] === 'musl' ? { libc: ['musl'] } : platform[1] === 'linux' ? { libc: ['glibc'] } : {}),
    };
    added.push(`${name}@${version}`);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(
  added.length ? `added ${added.length}: ${added.join(', ')}\n` : 'package-lock.json is complete\n',
);
