// Which kubectl a test runs: its client version, read once per binary with `kubectl version --client -o json`.
// Tests that meet a client-side difference (kubectl 1.20 validates against OpenAPI v2 before sending and has no
// server-side field validation flags; explain reads OpenAPI v3 only from 1.27) assert what that kubectl does.
import { execFileSync } from 'node:child_process';

export interface KubectlVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

const versions = new Map<string, KubectlVersion>();

/** The client version of the kubectl at `path` (`kubectl` from PATH by default). */
export function kubectlVersion(path = 'kubectl'): KubectlVersion {
  const known = versions.get(path);
  if (known) return known;
  const out = execFileSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const client = (JSON.parse(out) as { clientVersion: { major: string; minor: string; gitVersion: string } })
    .clientVersion;
  // A distribution may write the minor version with a suffix ("20+"); the number is what matters.
  const version = {
    major: Number.parseInt(client.major, 10),
    minor: Number.parseInt(client.minor, 10),
    gitVersion: client.gitVersion,
  };
  if (!Number.isInteger(version.major) || !Number.isInteger(version.minor))
    throw new Error(`${path} reports a client version that is not a number: ${out}`);
  versions.set(path, version);
  return version;
}

/** True when the kubectl at `path` is at least 1.`minor`. */
export function kubectlAtLeast(minor: number, path = 'kubectl'): boolean {
  const v = kubectlVersion(path);
  return v.major > 1 || (v.major === 1 && v.minor >= minor);
}
