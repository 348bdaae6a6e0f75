// The revision of a SignoffPolicy: the git commit of its governance repository at which the policy in force was
// last changed. Decided here from the source annotation and what the repository says (policy-source.ts); read by
// every decision, Promotion and audit entry through policyRevision.
import { COMMIT_ID, SOURCE_REVISION_ANNOTATION } from '../../apply/source-revision.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import type { KubeObject } from '../../runtime/index.js';
import { condition } from '../conditions.js';
import { statusOf } from '../resources.js';
import type { PolicySourceObservation } from './policy-source.js';

/**
 * The revision of a SignoffPolicy that a decision, a Promotion and the audit record: the git commit its file was
 * last changed in (status.revision) when known, else `generation:N`.
 */
export function policyRevision(policy: KubeObject): string {
  return (
    statusOf<{ revision?: string }>(policy)?.revision ?? `generation:${policy.metadata?.generation ?? 0}`
  );
}

/** The source annotation when it is a full commit id; anything else is not one. */
export function annotatedCommit(policy: KubeObject): string | undefined {
  const value = policy.metadata?.annotations?.[SOURCE_REVISION_ANNOTATION];
  return value && COMMIT_ID.test(value) ? value : undefined;
}

export interface RevisionInput {
  policy: KubeObject;
  /** What the governance repository says; undefined when no forge is configured. */
  source?: PolicySourceObservation;
}

export interface RevisionDecision {
  /** status.revision; undefined: none is known, and the record names `generation:N`. */
  revision?: string;
  /** `RevisionConfirmed`: whether the revision is borne out by the governance repository, and how. */
  condition: ConditionUpdate;
  events: EventSpec[];
}

const TYPE = 'RevisionConfirmed';

export function decideRevision({ policy, source }: RevisionInput): RevisionDecision {
  const raw = policy.metadata?.annotations?.[SOURCE_REVISION_ANNOTATION];
  const annotated = annotatedCommit(policy);
  const generation = `generation:${policy.metadata?.generation ?? 0}`;
  const ignored =
    raw !== undefined && !annotated
      ? `; the ${SOURCE_REVISION_ANNOTATION} annotation "${raw.slice(0, 60)}" is not a full commit id and is ignored`
      : '';
  const what = `SignoffPolicy ${policy.metadata?.namespace}/${policy.metadata?.name}`;

  if (!source) {
    return annotated
      ? {
          revision: annotated,
          condition: condition(
            TYPE,
            'Unknown',
            'NoForge',
            `revision ${annotated} from the ${SOURCE_REVISION_ANNOTATION} annotation; no forge is configured to confirm it against the governance repository`,
          ),
          events: [],
        }
      : {
          condition: condition(
            TYPE,
            'Unknown',
            'NoForge',
            `no forge is configured to read the governance repository: recorded as ${generation}${ignored}`,
          ),
          events: [],
        };
  }

  const where = `${source.branch} of ${source.repository}`;
  const answer = source.branchAnswer;
  const fromBranch = answer.found === 'commit' ? answer : undefined;

  if (answer.found === 'unreadable') {
    return {
      ...(annotated ? { revision: annotated } : {}),
      condition: condition(
        TYPE,
        'Unknown',
        'RepositoryUnreadable',
        `${where} cannot be read (${answer.message}): ${annotated ? `revision ${annotated} from the annotation, unconfirmed` : `recorded as ${generation}`}${ignored}`,
      ),
      events: [],
    };
  }

  if (annotated && source.annotation) {
    const a = source.annotation;
    if (a.agrees) {
      return {
        revision: annotated,
        condition: condition(
          TYPE,
          'True',
          'AnnotationConfirmed',
          `revision ${annotated} from the ${SOURCE_REVISION_ANNOTATION} annotation: ${a.path} there declares this policy as applied, as ${where} holds it since ${a.lastChange}`,
        ),
        events: [],
      };
    }
    // The annotation is whatever the person who applied the object wrote: the repository's answer is recorded.
    const message = `the ${SOURCE_REVISION_ANNOTATION} annotation names ${annotated}, but ${a.why}; recorded ${fromBranch ? `${fromBranch.commit}, the commit of ${where} that last changed ${fromBranch.path}` : generation} instead`;
    return {
      ...(fromBranch ? { revision: fromBranch.commit } : {}),
      condition: condition(TYPE, 'False', 'AnnotationDisagrees', message),
      events: [{ type: 'Warning', reason: 'AnnotationDisagrees', message }],
    };
  }

  switch (answer.found) {
    case 'commit':
      return {
        revision: answer.commit,
        condition: condition(
          TYPE,
          'True',
          'FromRepository',
          `revision ${answer.commit}: the commit of ${where} that last changed ${answer.path} to the spec applied${answer.behind ? ` (${source.branch} has changed it since)` : ''}${ignored}`,
        ),
        events: [],
      };
    case 'none':
      return {
        condition: condition(
          TYPE,
          'False',
          'NotInRepository',
          `no file of ${where} declares ${what}: recorded as ${generation}; name the repository that holds it in spec.governance.repository${ignored}`,
        ),
        events: [],
      };
    case 'several': {
      const message = `${answer.paths.join(' and ')} of ${where} each declare ${what}, so which one was applied cannot be told: recorded as ${generation}`;
      return {
        condition: condition(TYPE, 'False', 'DeclaredTwice', message),
        events: [{ type: 'Warning', reason: 'DeclaredTwice', message }],
      };
    }
    case 'different': {
      const message = `${what} as applied is not ${answer.path} at any of the last ${answer.versions} commits of ${where} that changed it: it was not applied from the governance repository; recorded as ${generation}`;
      return {
        condition: condition(TYPE, 'False', 'DiffersFromRepository', message),
        events: [{ type: 'Warning', reason: 'DiffersFromRepository', message }],
      };
    }
  }
}
