/**
 * Reads a YAML file into plain values, refusing anything that could be ambiguous, lossy or costly, and keeps
 * the source so every later error can point at `file:line:col`.
 *
 * YAML 1.2 core schema: `yes`/`no` stay strings, `1.10` is the number 1.1, there are no timestamps or merge keys.
 * Any error-severity diagnostic makes the whole file untrusted: `documents` is then empty, so nothing from a
 * half-read file is validated, applied or committed.
 *
 * Diagnostics (code: message), all severity `error` unless marked:
 * - `yaml.too-large`:          `file is {size}; the limit is {limit}` (e.g. `file is 3.2 MiB; the limit is 1 MiB`;
 *                              exact byte counts when both round alike). Line 0: nothing was parsed.
 * - `yaml.not-utf8`:           `file is not valid UTF-8 text`. Line 0.
 * - `yaml.too-deep`:           `nesting is deeper than the limit of {maxDepth} levels`, at the first collection past it.
 * - `yaml.tab-indent`:         `tabs are not allowed for indentation; use spaces`, at the tab.
 * - `yaml.syntax`:             yaml's own message, on one line (e.g. `all mapping items must start at the same column`).
 * - `yaml.duplicate-key`:      `duplicate key "{key}"; first at line {line}`, at the second occurrence.
 * - `yaml.complex-key`:        `a {mapping|sequence} cannot be used as a key; keys must be plain values`.
 * - `yaml.unknown-alias`:      `alias *{name} has no anchor &{name} before it`.
 * - `yaml.alias-limit`:        `aliases expand beyond the limit ({maxAliasCount}); refusing a possible alias bomb ("billion laughs")`,
 *                              at the document's first alias.
 * - `yaml.multiple-documents`: `expected one document in this file, found {n}`, at the second document's start
 *                              (only with `single: true`); hint `put each object in its own file`.
 * - `yaml.yaml11-boolean`:     (warning) `"y" is a string here, but YAML 1.1 readers such as kubectl read it as a boolean`;
 *                              hint `quote it: unit: "y"`.
 * - `yaml.unknown-tag`:        (warning) `unknown tag {tag}; the value is read as if untagged`.
 * - `yaml.warning`:            (warning) any other yaml warning, on one line.
 * - `yaml.unreadable`:         `cannot read the file: {reason}` (from `loadYamlFiles`, e.g. `no such file or directory (ENOENT)`). Line 0.
 */
import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
} from 'yaml';
import { type Diagnostic, formatPath, type PathSegment } from '../diagnostics.js';
import { resolveLimits, tooLargeMessage, type YamlLimits } from './limits.js';
import { isEmptyNode, keyString, locateOffset, scalarSourceText } from './locate.js';
import { mayExceedDepth, quickDepthExceeded, scanTokens } from './tokens.js';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export interface LocatedComment extends SourcePosition {
  /** From `#` to the end of the line. */
  text: string;
}

/** Where the parts of one document are written, without its value. */
export interface SourceLocator {
  /** As the caller named the file. */
  readonly file: string;
  /** Position of the deepest existing node on `path`: its value, or with `preferKey` its key. */
  locate(path: readonly PathSegment[], options?: { preferKey?: boolean }): SourcePosition;
  /** Where the value at `path` is written (the key, when the value is empty as in `owner:`). */
  locateValue(path: readonly PathSegment[]): SourcePosition;
  /** Where the key of `path` is written (the item itself for a sequence index). */
  locateKey(path: readonly PathSegment[]): SourcePosition;
  /** The scalar at `path` as written, quotes included (`1.10`, `"1.10"`); undefined if absent or not a scalar. */
  sourceText(path: readonly PathSegment[]): string | undefined;
}

export interface SourceDocument extends SourceLocator {
  /** 0-based among the non-empty documents of the file. */
  readonly index: number;
  /** Plain JS (objects, arrays, strings, numbers, booleans, null). */
  readonly value: unknown;
  /** Line of the document's `---`, or of its first node when it has none. */
  readonly startLine: number;
  /** Comments in this document's part of the file (those before the first document count as its own). */
  readonly comments: readonly LocatedComment[];
  /** The locations alone, for holding on to once the value is no longer needed. */
  locator(): SourceLocator;
}

export interface YamlLoadOptions extends Partial<YamlLimits> {
  /** The file must hold exactly one (non-empty) document. */
  single?: boolean;
}

export interface LoadedYaml {
  documents: SourceDocument[];
  diagnostics: Diagnostic[];
}

// Core schema, fixed version (a `%YAML 1.1` directive must not bring back `yes: true`), no merge keys.
// Duplicate keys are checked here rather than by yaml so the message can name the key and its first line.
const COMPOSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  uniqueKeys: false,
  strict: true,
  prettyErrors: true,
} as const;

export function loadYamlSource(
  text: string | Buffer,
  file: string,
  options: YamlLoadOptions = {},
): LoadedYaml {
  const limits = resolveLimits(options);
  const fatal = (d: Omit<Diagnostic, 'file' | 'severity'>): LoadedYaml => ({
    documents: [],
    diagnostics: [{ file, severity: 'error', ...d }],
  });

  const size = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.byteLength;
  if (size > limits.maxBytes) {
    return fatal({
      line: 0,
      col: 0,
      path: '',
      code: 'yaml.too-large',
      message: tooLargeMessage(size, limits.maxBytes),
    });
  }
  const source = decode(text);
  if (source === undefined) {
    return fatal({
      line: 0,
      col: 0,
      path: '',
      code: 'yaml.not-utf8',
      message: 'file is not valid UTF-8 text',
    });
  }

  const lineCounter = new LineCounter();
  const tooDeep = (offset: number) => {
    const { line, col } = positionIn(source, offset);
    const message = `nesting is deeper than the limit of ${limits.maxDepth} levels`;
    return fatal({ line, col, path: '', code: 'yaml.too-deep', message });
  };
  if (mayExceedDepth(source, limits.maxDepth)) {
    const obviouslyDeep = quickDepthExceeded(source, limits.maxDepth);
    if (obviouslyDeep !== undefined) return tooDeep(obviouslyDeep);
  }
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(source));
  const scanned = scanTokens(tokens, limits.maxDepth);
  if (scanned.tooDeepAt !== undefined) return tooDeep(scanned.tooDeepAt);

  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return line === 0 ? { line: 1, col: offset + 1 } : { line, col };
  };
  const diagnostics: Diagnostic[] = [];
  const report = (
    offset: number,
    d: Omit<Diagnostic, 'file' | 'line' | 'col' | 'severity'>,
    warning = false,
  ) => diagnostics.push({ file, ...at(offset), severity: warning ? 'warning' : 'error', ...d });

  const composed = Array.from(new Composer(COMPOSE_OPTIONS).compose(tokens, true, source.length));
  const docStarts = documentStartOffsets(tokens);
  const kept: { doc: Document.Parsed; start: number }[] = [];
  for (const doc of composed) {
    const syntaxErrors = reportLibraryProblems(doc, source, lineCounter, report);
    if (isEmptyNode((doc.contents as Node | null) ?? null)) continue;
    const contentStart = doc.contents?.range[0] ?? doc.range[0];
    const start = docStarts.find((o) => o >= doc.range[0] && o <= contentStart) ?? contentStart;
    kept.push({ doc, start });
    // Structure checks on a document yaml could not read would mostly report its confusion again.
    if (syntaxErrors === 0) checkStructure(doc, report, (offset) => at(offset).line);
  }

  if (options.single && kept.length > 1) {
    report(kept[1]!.start, {
      path: '',
      code: 'yaml.multiple-documents',
      message: `expected one document in this file, found ${kept.length}`,
      hint: 'put each object in its own file',
    });
  }
  if (hasErrors(diagnostics)) return { documents: [], diagnostics };

  const values: unknown[] = [];
  for (const { doc } of kept) {
    try {
      values.push(doc.toJS({ maxAliasCount: limits.maxAliasCount }));
    } catch (err) {
      // Anchors were checked in checkStructure, so the one ReferenceError left is the expansion cap.
      if (!(err instanceof ReferenceError)) throw err;
      const alias = firstAlias(doc);
      report(alias?.offset ?? doc.range[0], {
        path: alias?.path ?? '',
        code: 'yaml.alias-limit',
        message: `aliases expand beyond the limit (${limits.maxAliasCount}); refusing a possible alias bomb ("billion laughs")`,
      });
    }
  }
  if (hasErrors(diagnostics)) return { documents: [], diagnostics };

  const comments = scanned.comments;
  const origin = new SourceText(source);
  const documents = kept.map(({ start }, index): SourceDocument => {
    const nextStart = kept[index + 1]?.start ?? Number.POSITIVE_INFINITY;
    const ownComments: LocatedComment[] = [];
    for (const c of comments)
      if ((index === 0 || c.offset >= start) && c.offset < nextStart)
        ownComments.push({ text: c.text, ...at(c.offset) });
    return new LoadedDocument(file, index, values[index], at(start).line, ownComments, origin, start);
  });
  return { documents, diagnostics };
}

/**
 * A file's text, parsed again only when a position is asked for. Positions are wanted only where something is
 * wrong, so neither the syntax trees nor the line table of the first parse are kept (for 10,000 documents the
 * trees would hold most of a gigabyte): the first request parses the file again, the same way.
 */
class SourceText {
  private reparsed?: { docs: Document.Parsed[]; lines: LineCounter };

  constructor(readonly source: string) {}

  document(index: number): Document.Parsed {
    return this.tree().docs[index]!;
  }

  position(offset: number): SourcePosition {
    const { line, col } = this.tree().lines.linePos(offset);
    return line === 0 ? { line: 1, col: offset + 1 } : { line, col };
  }

  private tree(): { docs: Document.Parsed[]; lines: LineCounter } {
    this.reparsed ??= reparse(this.source);
    return this.reparsed;
  }
}

/** Where the parts of one document of a loaded file are written. */
class DocumentPlace implements SourceLocator {
  constructor(
    readonly file: string,
    readonly index: number,
    protected readonly text: SourceText,
    protected readonly start: number,
  ) {}

  locate(path: readonly PathSegment[], options: { preferKey?: boolean } = {}): SourcePosition {
    const doc = this.text.document(this.index);
    return this.text.position(locateOffset(doc, path, options.preferKey ?? false) ?? this.start);
  }

  locateValue(path: readonly PathSegment[]): SourcePosition {
    return this.locate(path);
  }

  locateKey(path: readonly PathSegment[]): SourcePosition {
    return this.locate(path, { preferKey: true });
  }

  sourceText(path: readonly PathSegment[]): string | undefined {
    return scalarSourceText(this.text.document(this.index), this.text.source, path);
  }

  pack(textId: (text: SourceText) => number): PortableLocator {
    return { file: this.file, index: this.index, start: this.start, text: textId(this.text) };
  }
}

/** One document of a loaded file: its value, and the way back to where each of its parts is written. */
class LoadedDocument extends DocumentPlace implements SourceDocument {
  constructor(
    file: string,
    index: number,
    readonly value: unknown,
    readonly startLine: number,
    readonly comments: readonly LocatedComment[],
    text: SourceText,
    start: number,
  ) {
    super(file, index, text, start);
  }

  locator(): SourceLocator {
    return new DocumentPlace(this.file, this.index, this.text, this.start);
  }
}

/**
 * A locator in a form that can be posted to another thread: which document of which file, and where the file's
 * text is among those its LocatorPacker collected (the documents of one file share it).
 */
export interface PortableLocator {
  file: string;
  index: number;
  start: number;
  text: number;
}

/** Packs the locators of documents loaded by loadYamlSource to be posted elsewhere; each file's text goes once. */
export class LocatorPacker {
  readonly texts: string[] = [];
  private readonly ids = new Map<SourceText, number>();

  pack(locator: SourceLocator): PortableLocator {
    if (!(locator instanceof DocumentPlace))
      throw new TypeError('only a locator from loadYamlSource can be packed');
    return locator.pack((text) => {
      let id = this.ids.get(text);
      if (id === undefined) {
        id = this.texts.push(text.source) - 1;
        this.ids.set(text, id);
      }
      return id;
    });
  }
}

/**
 * The locators a LocatorPacker packed, given its texts: each finds positions from the same text the same way as
 * the one it was packed from, so a diagnostic reads alike whichever thread loaded the file.
 */
export function unpackLocators(texts: readonly string[]): (packed: PortableLocator) => SourceLocator {
  const shared = texts.map((source) => new SourceText(source));
  return ({ file, index, start, text }) => new DocumentPlace(file, index, shared[text]!, start);
}

/** The non-empty documents of a source already loaded once without error, and its line positions. */
function reparse(source: string): { docs: Document.Parsed[]; lines: LineCounter } {
  const lines = new LineCounter();
  const tokens = new Parser(lines.addNewLine).parse(source);
  const docs = Array.from(new Composer(COMPOSE_OPTIONS).compose(tokens, true, source.length)).filter(
    (doc) => !isEmptyNode((doc.contents as Node | null) ?? null),
  );
  return { docs, lines };
}

function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Text of a file: strings as given, buffers as strict UTF-8. A leading byte-order mark is dropped either way. */
function decode(text: string | Buffer): string | undefined {
  if (typeof text === 'string') return text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    return undefined;
  }
}

/** 1-based position of `offset`, for refusals made before the parser has counted lines. */
function positionIn(source: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

function documentStartOffsets(tokens: readonly CST.Token[]): number[] {
  const out: number[] = [];
  for (const token of tokens) {
    if (token.type !== 'document') continue;
    const marker = token.start.find((t) => t.type === 'doc-start');
    if (marker) out.push(marker.offset);
  }
  return out;
}

type Report = (
  offset: number,
  d: Omit<Diagnostic, 'file' | 'line' | 'col' | 'severity'>,
  warning?: boolean,
) => void;

/**
 * yaml's errors and warnings for one document, as diagnostics; returns how many errors it reported.
 * An error on a line indented with a tab is reported as that tab: yaml often describes it as a bad indent or
 * a missing `:`, and the errors that follow it are its echoes, so they are dropped.
 */
function reportLibraryProblems(
  doc: Document.Parsed,
  source: string,
  lines: LineCounter,
  report: Report,
): number {
  const tabs = new Map<number, number>();
  const others = new Map<number, { offset: number; message: string }>();
  for (const error of doc.errors) {
    const offset = error.pos[0];
    const lineStart = lines.lineStarts[lines.linePos(offset).line - 1] ?? 0;
    const tab = indentTab(source, lineStart);
    if (tab !== undefined) tabs.set(lineStart, tab);
    else if (error.code === 'TAB_AS_INDENT') tabs.set(lineStart, firstTab(source, offset));
    else if (!others.has(lineStart)) others.set(lineStart, { offset, message: oneLine(error.message) });
  }
  for (const tab of tabs.values()) {
    report(tab, {
      path: '',
      code: 'yaml.tab-indent',
      message: 'tabs are not allowed for indentation; use spaces',
    });
  }
  if (tabs.size === 0) {
    for (const { offset, message } of others.values())
      report(offset, { path: '', code: 'yaml.syntax', message });
  }
  for (const warning of doc.warnings) {
    const unknownTag = /^Unresolved tag: (\S+)/.exec(warning.message);
    if (unknownTag) {
      const message = `unknown tag ${unknownTag[1]}; the value is read as if untagged`;
      report(warning.pos[0], { path: '', code: 'yaml.unknown-tag', message }, true);
    } else {
      report(warning.pos[0], { path: '', code: 'yaml.warning', message: oneLine(warning.message) }, true);
    }
  }
  return tabs.size + others.size;
}

/** Offset of a tab among the spaces and tabs that begin the line at `lineStart`, if there is one. */
function indentTab(source: string, lineStart: number): number | undefined {
  for (let i = lineStart; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\t') return i;
    if (ch !== ' ') return undefined;
  }
  return undefined;
}

function firstTab(source: string, from: number): number {
  const i = source.indexOf('\t', from);
  return i === -1 ? from : i;
}

/** yaml's message without the excerpt and position that `prettyErrors` appends, lower-cased like ours. */
function oneLine(message: string): string {
  const first = (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?\s*$/, '').trim();
  return /^[A-Z][a-z]/.test(first) ? first[0]!.toLowerCase() + first.slice(1) : first;
}

/** A field path kept as links to its parent, so that walking every node copies nothing until a problem is found. */
interface PathLink {
  parent: PathLink | undefined;
  segment: PathSegment;
}

function pathOf(link: PathLink | undefined): PathSegment[] {
  const out: PathSegment[] = [];
  for (let l = link; l; l = l.parent) out.push(l.segment);
  return out.reverse();
}

/** Duplicate keys, keys that are collections, aliases with no anchor: checked on the nodes, iteratively. */
function checkStructure(doc: Document.Parsed, report: Report, lineOf: (offset: number) => number): void {
  const stack: { node: unknown; path: PathLink | undefined }[] = [{ node: doc.contents, path: undefined }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isAlias(node)) {
      if (!node.resolve(doc)) {
        const message = `alias *${node.source} has no anchor &${node.source} before it`;
        report(node.range?.[0] ?? 0, {
          path: formatPath(pathOf(path)),
          code: 'yaml.unknown-alias',
          message,
        });
      }
    } else if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        let key: unknown = pair.key;
        if (isAlias(key)) key = key.resolve(doc) ?? key;
        const name = keyString(key);
        const keyOffset = (pair.key as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0;
        if (name === undefined) {
          const kind = isMap(key) ? 'mapping' : isSeq(key) ? 'sequence' : 'alias';
          const message = `a ${kind} cannot be used as a key; keys must be plain values`;
          report(keyOffset, { path: formatPath(pathOf(path)), code: 'yaml.complex-key', message });
          continue;
        }
        const first = seen.get(name);
        if (first === undefined) seen.set(name, keyOffset);
        else {
          const firstLine = lineOf(first);
          const message = `duplicate key ${JSON.stringify(name)}; first at line ${firstLine}`;
          report(keyOffset, {
            path: formatPath([...pathOf(path), name]),
            code: 'yaml.duplicate-key',
            message,
          });
        }
        stack.push({ node: pair.value, path: { parent: path, segment: name } });
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++)
        stack.push({ node: node.items[i], path: { parent: path, segment: i } });
    } else if (
      isScalar(node) &&
      node.type === 'PLAIN' &&
      typeof node.value === 'string' &&
      YAML11_BOOLEAN.test(node.value)
    ) {
      const last = path?.segment;
      report(
        node.range?.[0] ?? 0,
        {
          path: formatPath(pathOf(path)),
          code: 'yaml.yaml11-boolean',
          message: `${JSON.stringify(node.value)} is a string here, but YAML 1.1 readers such as kubectl read it as a boolean`,
          hint: typeof last === 'string' ? `quote it: ${last}: "${node.value}"` : `quote it: "${node.value}"`,
        },
        true,
      );
    }
  }
}

// Plain scalars that YAML 1.2 (this loader) reads as strings and YAML 1.1 (kubectl, many CI tools) as booleans.
const YAML11_BOOLEAN = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function firstAlias(doc: Document.Parsed): { offset: number; path: string } | undefined {
  const stack: { node: unknown; path: PathSegment[] }[] = [{ node: doc.contents, path: [] }];
  let best: { offset: number; path: string } | undefined;
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      if (!best || offset < best.offset) best = { offset, path: formatPath(path) };
    } else if (isMap(node)) {
      for (const pair of node.items)
        stack.push({ node: pair.value, path: [...path, keyString(pair.key) ?? '?'] });
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({ node: item, path: [...path, i] });
      });
    }
  }
  return best;
}
