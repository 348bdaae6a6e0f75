// A promotion's pull request is judged as a promotion only while it carries exactly the change Vigil made: the
// one version field in the one deployment file, and only Vigil's commit. Anyone with write access can push to
// its branch; what they push turns it into a hand-made change, gated by every use case it touches. The check
// compares content (the file Vigil would write against the file on the head), never commit messages. Pure.
import { normalizePath } from '../kinds/usecase/claims.js';
import { DeploymentTargetError, setVersionField } from './version-field.js';

export interface CommitSeen {
  sha: string;
  authorLogin?: string | null;
  committerLogin?: string | null;
  verified?: boolean;
}

export interface ObservedChange {
  target: { file: string; field: string };
  version: string;
  /** Whether Vigil adds the field when the file lacks it (a first deployment). */
  addIfMissing: boolean;
  /** Paths the pull request changes, both names of a rename. */
  changedFiles: readonly string[];
  /** The target file at the pull request's base commit; undefined when it is not there. */
  baseContent: string | undefined;
  /** The target file at the head commit; undefined when it is not there. */
  headContent: string | undefined;
  /** Every commit of the pull request. */
  commits: readonly CommitSeen[];
  /** The commit Vigil made, when recorded. */
  vigilCommit?: string;
  /** The account Vigil acts as, the pull request's author when Vigil opened it. */
  vigilLogin: string;
}

export type ChangeVerdict = { exact: true } | { exact: false; reasons: string[] };

export function judgeVigilsChange(o: ObservedChange): ChangeVerdict {
  const reasons: string[] = [];
  const others = o.changedFiles.filter((f) => normalizePath(f) !== normalizePath(o.target.file));
  if (others.length > 0) reasons.push(`it also changes ${others.map((f) => `\`${f}\``).join(', ')}`);
  if (o.headContent === undefined) {
    reasons.push(`\`${o.target.file}\` is not on its head`);
  } else if (o.baseContent === undefined) {
    reasons.push(`\`${o.target.file}\` is not on its base`);
  } else {
    let expected: string | undefined;
    try {
      expected = setVersionField(o.baseContent, o.target.file, o.target.field, o.version, {
        addIfMissing: o.addIfMissing,
      }).content;
    } catch (error) {
      if (!(error instanceof DeploymentTargetError)) throw error;
    }
    if (expected !== o.headContent) {
      reasons.push(
        `\`${o.target.file}\` on its head is not the base file with only ${o.target.field} set to ${o.version}`,
      );
    }
  }
  const foreign = o.commits.filter((c) => !isVigils(c, o));
  if (foreign.length > 0) {
    const by = foreign.map((c) => `${c.sha.slice(0, 7)} (${c.authorLogin ?? 'unknown author'})`);
    reasons.push(
      `it carries ${foreign.length === 1 ? 'a commit' : 'commits'} Vigil did not make: ${by.join(', ')}`,
    );
  }
  return reasons.length === 0 ? { exact: true } : { exact: false, reasons };
}

/**
 * Vigil's commit: the one it recorded, or, where none was recorded, a commit whose signature the forge verified
 * and whose author and committer are Vigil's account (a person with write access can write those names, not
 * the forge's signature).
 */
function isVigils(c: CommitSeen, o: ObservedChange): boolean {
  if (o.vigilCommit !== undefined) return c.sha === o.vigilCommit;
  const vigil = o.vigilLogin.toLowerCase();
  return (
    c.verified === true && c.authorLogin?.toLowerCase() === vigil && c.committerLogin?.toLowerCase() === vigil
  );
}
