// Where a field of a parsed YAML document sits in its text, so a problem can be reported as file:line:col.
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Diagnostic, PathSegment } from '../../diagnostics.js';

export interface Position {
  line: number;
  col: number;
}

/** Finds the position of a path; falls back to the nearest enclosing node that exists. */
export type Locator = (path: readonly PathSegment[], at?: 'key' | 'value') => Position;

export const NOWHERE: Locator = () => ({ line: 0, col: 0 });

export interface ParsedYaml {
  /** The document as plain data; undefined when it could not be parsed. */
  value: unknown;
  locate: Locator;
  /** Syntax errors (and duplicate keys), located. */
  diagnostics: Diagnostic[];
}

/** Parse one YAML document (YAML 1.2 core schema: `2022-10-03` stays text), keeping what is needed to locate fields. */
export function parseYamlWithPositions(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: '',
      code: `yaml.${e.code.toLowerCase().replaceAll('_', '-')}`,
      message: e.message.split('\n')[0] ?? e.message,
      severity: e.name === 'YAMLWarning' ? 'warning' : 'error',
    };
  });
  let value: unknown;
  if (doc.errors.length === 0) {
    try {
      // maxAliasCount bounds alias expansion, so a small file cannot expand into an enormous one.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An unresolved alias or too many aliases: the document is not usable data.
      diagnostics.push({
        file,
        line: 0,
        col: 0,
        path: '',
        code: 'yaml.unreadable',
        message: (err as Error).message,
        severity: 'error',
      });
    }
  }
  return { value, locate: locator(doc, lines), diagnostics };
}

function locator(doc: Document, lines: LineCounter): Locator {
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, col };
  };
  return (path, where = 'value') => {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (where === 'key' && n === path.length && n > 0) {
        const parent = doc.getIn(sub.slice(0, -1), true);
        const last = sub[sub.length - 1];
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
          if (pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0]);
        }
      }
      const node = n === 0 ? doc.contents : doc.getIn(sub, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return at(range[0]);
    }
    return { line: 0, col: 0 };
  };
}
