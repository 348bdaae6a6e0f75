// A data contract's status: breaking changes against the version it replaces, and whether it can be relied on.
//
// Ready is False for a breaking change without a new major version (semver's promise to consumers, 0.x
// included: a model in production reads a 0.x feed as much as a 1.x one), for a retired contract, and for a
// failed or erroring test of this version. When the previous version cannot be found, breakingChanges stays
// unset (not checked, as opposed to none) and Ready says so: the contract is usable by consumers that pin the
// version they were built on, and a use case that pins nothing is held back by its ContractsSatisfied instead.
// A contract never tested is Ready with reason NotTested: tests need a data engine, which not every
// installation has, while the breaking-change check needs only the two specs.
import semver from 'semver';
import type { BreakingChange, DataContractSpec, DataContractStatus } from '../../../../specs/datacontract.js';
import type { ConditionUpdate } from '../../runtime/conditions.js';
import type { EventSpec } from '../../runtime/events.js';
import { condition, MESSAGE_LIMIT } from '../conditions.js';
import { breakingChanges } from './breaking-changes.js';

export { MESSAGE_LIMIT };

export interface DataContractObservation {
  spec: DataContractSpec;
  /** The spec of spec.previousVersion, when it can be found. */
  previous?: DataContractSpec;
  lastTest?: DataContractStatus['lastTest'];
}

export interface DataContractDecision {
  /** Breaking changes against the previous version; undefined when they could not be computed. */
  status: Pick<DataContractStatus, 'breakingChanges'>;
  conditions: ConditionUpdate[];
  events: EventSpec[];
}

export function decideDataContractStatus(input: DataContractObservation): DataContractDecision {
  const { spec, previous, lastTest } = input;
  const valid = validCondition(spec, previous);
  const comparable = valid.status === 'True' && previous !== undefined;
  const changes: BreakingChange[] | undefined = comparable
    ? breakingChanges(previous, spec)
    : spec.previousVersion === undefined
      ? []
      : undefined;
  const events: EventSpec[] = [];

  let ready: ConditionUpdate;
  if (valid.status !== 'True') {
    ready = condition('Ready', 'False', valid.reason, valid.message);
  } else if (spec.status === 'retired') {
    ready = condition(
      'Ready',
      'False',
      'Retired',
      `contract ${spec.version} is retired: no use case may read it`,
    );
  } else if (
    changes !== undefined &&
    changes.length > 0 &&
    semver.major(spec.version) === semver.major(previous!.version)
  ) {
    const first = changes[0]!;
    const more = changes.length > 1 ? ` (and ${changes.length - 1} more)` : '';
    ready = condition(
      'Ready',
      'False',
      'BreakingChangeWithoutMajorBump',
      `${spec.version} breaks consumers of ${previous!.version} without a new major version: ${first.message} at ${first.path}${more}`,
    );
    events.push({ type: 'Warning', reason: ready.reason, message: ready.message });
  } else {
    ready = testedCondition(spec, lastTest);
    if (ready.status === 'False') {
      events.push({ type: 'Warning', reason: ready.reason, message: ready.message });
    } else if (changes === undefined) {
      ready = condition(
        'Ready',
        'True',
        'PreviousVersionUnavailable',
        `${ready.message}; previous version ${spec.previousVersion} is not available, so breaking changes against it are not checked`,
      );
    }
  }
  return { status: { breakingChanges: changes }, conditions: [ready, valid], events };
}

function validCondition(spec: DataContractSpec, previous: DataContractSpec | undefined): ConditionUpdate {
  if (previous !== undefined) {
    if (previous.id !== spec.id) {
      return condition(
        'Valid',
        'False',
        'PreviousVersionMismatch',
        `the previous version given is contract ${previous.id}, not ${spec.id}`,
      );
    }
    if (spec.previousVersion !== undefined && previous.version !== spec.previousVersion) {
      return condition(
        'Valid',
        'False',
        'PreviousVersionMismatch',
        `previousVersion is ${spec.previousVersion}, but the previous contract found is ${previous.version}`,
      );
    }
    if (!semver.gt(spec.version, previous.version)) {
      return condition(
        'Valid',
        'False',
        'VersionNotIncreased',
        `version ${spec.version} is not above the previous version ${previous.version}`,
      );
    }
  }
  return condition('Valid', 'True', 'SpecValid', `contract ${spec.id} ${spec.version} (${spec.status})`);
}

/** Ready from the last test, when it tested this version; older results say nothing about it. */
function testedCondition(
  spec: DataContractSpec,
  lastTest: DataContractObservation['lastTest'],
): ConditionUpdate {
  const deprecated = spec.status === 'deprecated' ? '; the contract is deprecated' : '';
  if (!lastTest) return condition('Ready', 'True', 'NotTested', `no contract test has run yet${deprecated}`);
  if (lastTest.version !== undefined && lastTest.version !== spec.version) {
    return condition(
      'Ready',
      'True',
      'NotTested',
      `the last test was of ${lastTest.version}; ${spec.version} has not been tested yet${deprecated}`,
    );
  }
  if (lastTest.result === 'Error') {
    return condition(
      'Ready',
      'False',
      'ContractTestError',
      `the contract test against ${lastTest.where} could not run: ${lastTest.message ?? 'no reason given'}`,
    );
  }
  if (lastTest.result === 'Failed') {
    const failures = lastTest.failures ?? [];
    const first = failures[0];
    return condition(
      'Ready',
      'False',
      'ContractTestFailed',
      `${failures.length} rule${failures.length === 1 ? '' : 's'} failed against ${lastTest.where}${first ? `: ${first.rule}: ${first.message}` : ''}`,
    );
  }
  return condition(
    'Ready',
    'True',
    'ContractTestPassed',
    `${lastTest.rulesChecked ?? 'all'} rules passed against ${lastTest.where} at ${lastTest.at}${deprecated}`,
  );
}
