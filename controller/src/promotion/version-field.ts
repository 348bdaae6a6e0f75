// Reading and changing the deployed version in a GitOps YAML file through the yaml Document API, so every
// comment, blank line, quote style and key order stays as people wrote it: the pull request's diff is the one
// version line.
import { isMap, isScalar, isSeq, parseDocument, Scalar } from 'yaml';

/** The file or field the use case points at is not there: a person must fix the use case or the repository. */
export class DeploymentTargetError extends Error {
  override readonly name = 'DeploymentTargetError';
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** `model.version` -> ['model', 'version']; `images[0].tag` -> ['images', 0, 'tag']. */
export function fieldPath(field: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const part of field.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new TypeError(`field "${field}" is not a dotted path such as "model.version"`);
    path.push(m[1]!);
    for (const [, index] of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index));
  }
  return path;
}

function parse(text: string, file: string, field: string) {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    throw new DeploymentTargetError(file, field, `${file} is not valid YAML: ${doc.errors[0]!.message}`);
  }
  return doc;
}

/** The version the file holds at `field`; undefined when the field is absent. A non-scalar is an error. */
export function readVersionField(text: string, file: string, field: string): string | undefined {
  const doc = parse(text, file, field);
  const node = doc.getIn(fieldPath(field), true);
  if (node === undefined || node === null) return undefined;
  if (!isScalar(node)) {
    throw new DeploymentTargetError(
      file,
      field,
      `${file}: ${field} holds a ${isMap(node) ? 'mapping' : isSeq(node) ? 'list' : 'node'}, not a version`,
    );
  }
  return node.value === null ? undefined : String(node.value);
}

export interface VersionEdit {
  content: string;
  /** The version there before; undefined when the field was added. */
  previous: string | undefined;
  /** False when the file already held `version`. */
  changed: boolean;
}

/**
 * `text` with `field` set to `version`, as a quoted string (an unquoted 1.10 would read back as the number 1.1).
 * A missing file is the caller's to report; a missing field is an error naming file and field, unless
 * `addIfMissing` (the first deployment into a wave) and its parent mapping exists.
 */
export function setVersionField(
  text: string,
  file: string,
  field: string,
  version: string,
  options: { addIfMissing?: boolean } = {},
): VersionEdit {
  const doc = parse(text, file, field);
  const path = fieldPath(field);
  const node = doc.getIn(path, true);
  if (node === undefined) {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (!options.addIfMissing || !isMap(parent)) {
      throw new DeploymentTargetError(
        file,
        field,
        `${file} has no field ${field}${isMap(parent) ? '' : ` (nor its parent ${path.slice(0, -1).join('.') || 'document'})`}; the use case's deployment target names a field the file does not hold`,
      );
    }
    const added = new Scalar(version);
    added.type = Scalar.QUOTE_DOUBLE;
    doc.setIn(path, added);
    return { content: doc.toString(), previous: undefined, changed: true };
  }
  if (!isScalar(node)) {
    throw new DeploymentTargetError(
      file,
      field,
      `${file}: ${field} holds a ${isMap(node) ? 'mapping' : 'list'}, not a version`,
    );
  }
  const previous = node.value === null ? undefined : String(node.value);
  if (previous === version) return { content: text, previous, changed: false };
  // Keep the quote style people chose, but never leave a version unquoted.
  node.value = version;
  if (node.type !== Scalar.QUOTE_SINGLE) node.type = Scalar.QUOTE_DOUBLE;
  return { content: replaceScalar(text, node, version, doc.toString()), previous, changed: true };
}

/**
 * Replace only the scalar's source range when the parser gave one: the Document API's own printer may re-wrap
 * long lines or re-indent flow collections elsewhere in the file, which would widen the diff.
 */
function replaceScalar(text: string, node: Scalar, version: string, fallback: string): string {
  const range = node.range;
  if (!range) return fallback;
  const [start, valueEnd] = range;
  const quote = node.type === Scalar.QUOTE_SINGLE ? "'" : '"';
  const escaped = quote === '"' ? version.replace(/["\\]/g, (c) => `\\${c}`) : version.replace(/'/g, "''");
  return `${text.slice(0, start)}${quote}${escaped}${quote}${text.slice(valueEnd)}`;
}
