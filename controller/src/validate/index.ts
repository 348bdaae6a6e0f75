// `vigil validate`: every document against its kind, then every reference across the whole set.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compareDiagnostics, type Diagnostic } from '../diagnostics.js';
import { type PhiScanOptions, scanForPhi } from '../phi/index.js';
import {
  findYamlFiles,
  type LoadedYaml,
  LocatorPacker,
  loadYamlSource,
  type PortableLocator,
  readYamlFile,
  type SourceDocument,
  unpackLocators,
  type YamlLoadOptions,
} from '../yaml/index.js';
import { resolveLimits } from '../yaml/limits.js';
import { type ObjectIdentity, type ValidObject, validateDocument } from './document.js';
import { validateInWorkers, WORKER_SCRIPT } from './parallel.js';
import { checkReferences, type ReferencedObject, referencedObject } from './references.js';

export interface ValidationReport {
  /** Files that held at least one document or problem. */
  files: number;
  documents: number;
  /** Valid Vigil objects by kind. */
  kinds: Record<string, number>;
  /** Documents of other kinds (Namespace, ConfigMap, ...), left to other tools. */
  foreign: number;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
  /** The objects that passed their schema, for callers that go on to apply them; empty with `keepObjects: false`. */
  objects: ValidObject[];
}

/** A scanner that refuses values that look like protected health information. */
export type PhiScanner = (doc: SourceDocument) => Diagnostic[];

export interface ValidateOptions extends YamlLoadOptions {
  /**
   * The PHI guard: a scanner, or the options `scanForPhi` is to be called with (the form worker threads can be
   * given too).
   */
  phi?: PhiScanner | PhiScanOptions;
  /**
   * Keep every valid object, with its document, in the report (the default). A caller that only reports, such as
   * the CLI, passes false: each document is then dropped once checked, keeping only what the checks across
   * objects need, so memory stays small however large the tree.
   */
  keepObjects?: boolean;
  /**
   * Threads to check the files with. 1 (the default): all in this thread. n > 1: the files are shared out among
   * n worker threads, which read, parse, schema-check and PHI-scan them and send back only their diagnostics and
   * what the checks across objects need; those run here. `'auto'`: one worker thread per core (at most
   * MAX_THREADS) for a tree of more than PARALLEL_FROM files, this thread alone otherwise. The report is the same
   * whichever way. Worker threads need `keepObjects: false` and `phi`, if any, given as options.
   */
  threads?: number | 'auto';
  /** Where the path `-` is read from: standard input unless given. */
  stdin?: AsyncIterable<Uint8Array | string>;
}

/** The path that stands for standard input, as on most command lines. */
export const STDIN_PATH = '-';
/** How documents read from standard input are named in diagnostics. */
export const STDIN_NAME = '<stdin>';

/** With `threads: 'auto'`, a tree of more files than this is shared out among worker threads. */
export const PARALLEL_FROM = 200;
/** With `threads: 'auto'`, at most this many worker threads, however many cores there are. */
export const MAX_THREADS = 8;

/** Pure: validate documents already loaded, plus the diagnostics their loading produced. */
export function validateDocuments(
  documents: readonly SourceDocument[],
  loadDiagnostics: readonly Diagnostic[],
  options: Pick<ValidateOptions, 'phi' | 'keepObjects'> = {},
): ValidationReport {
  const validation = new Validation(options);
  validation.addDiagnostics(loadDiagnostics);
  for (const doc of documents) validation.addDocument(doc);
  return validation.finish();
}

export async function validatePaths(
  paths: readonly string[],
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const { phi, keepObjects, threads = 1, stdin, ...load } = options;
  const { files, diagnostics } = await findYamlFiles(paths.filter((p) => p !== STDIN_PATH));
  // A file named on the command line, not found by walking a directory: one with nothing in it is reported.
  const found = new Set(files);
  const named = new Set(paths.filter((p) => found.has(p)));
  const validation = new Validation({ phi, keepObjects });
  validation.addDiagnostics(diagnostics);
  if (paths.includes(STDIN_PATH)) {
    const text = await readStream(stdin ?? process.stdin, resolveLimits(load).maxBytes);
    validation.addLoaded(loadYamlSource(text, STDIN_NAME, load), STDIN_NAME);
  }
  const count = threadCount(threads, files.length, options);
  if (count > 1) {
    // This thread only shares the files out and gathers the parts: it stays free to answer the workers at once,
    // which keeps them busier than taking a share itself would.
    const setup: WorkerSetup = { load, phi: phi as PhiScanOptions | undefined, named: [...named] };
    for (const part of await validateInWorkers<ValidationPart>(files, count, setup)) validation.addPart(part);
  } else {
    // Each file is checked as it is read, so its documents need not outlive it.
    for (const file of files)
      validation.addLoaded(readYamlFile(file, load), named.has(file) ? file : undefined);
  }
  return validation.finish();
}

/** A stream's bytes, up to one more than `maxBytes`: enough for the loader to refuse an oversized input. */
async function readStream(stream: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    chunks.push(bytes);
    size += bytes.byteLength;
    if (size > maxBytes) break;
  }
  return Buffer.concat(chunks);
}

/** What a worker thread is started with: how to load files and how to scan them for PHI. */
export interface WorkerSetup {
  load: YamlLoadOptions;
  phi: PhiScanOptions | undefined;
  /** Files named on the command line rather than found in a directory. */
  named?: string[];
}

/**
 * A worker thread's share of a run: some of the files, in order, checked one by one as validatePaths checks
 * them, reduced to what can be posted back and what the run still needs of them.
 */
export function validateFilesPart(files: readonly string[], setup: WorkerSetup): ValidationPart {
  const validation = new Validation({ phi: setup.phi, keepObjects: false });
  const named = new Set(setup.named);
  for (const file of files)
    validation.addLoaded(readYamlFile(file, setup.load), named.has(file) ? file : undefined);
  return validation.part();
}

/** How many worker threads to share `files` files among; 1 means none (all in this thread). */
function threadCount(threads: number | 'auto', files: number, options: ValidateOptions): number {
  const postable = options.keepObjects === false && typeof options.phi !== 'function';
  if (threads === 'auto') {
    if (!postable || files <= PARALLEL_FROM || !existsSync(fileURLToPath(WORKER_SCRIPT))) return 1;
    return Math.min(availableParallelism(), MAX_THREADS);
  }
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`threads must be a whole number of at least 1 or "auto"; got ${threads}`);
  if (threads > 1 && !postable)
    throw new TypeError('worker threads need keepObjects: false and phi given as options, not as a function');
  return threads;
}

/**
 * What some files contributed to a run, in a form that can be posted from a worker thread: the documents'
 * diagnostics in the order they were found, and what the checks across objects need of each object, its
 * locations packed with the files' texts so positions are found just as they are in the thread that read them.
 */
export interface ValidationPart {
  diagnostics: Diagnostic[];
  documents: number;
  foreign: number;
  kinds: Record<string, number>;
  files: string[];
  invalid: ObjectIdentity[];
  referenced: (Omit<ReferencedObject, 'source'> & { source: PortableLocator })[];
  texts: string[];
}

/** A named file that holds no document: empty, or comments only. It is not valid; there is nothing to check. */
function nothingIn(file: string): Diagnostic {
  return {
    file,
    line: 0,
    col: 0,
    path: '',
    code: 'yaml.empty',
    message: 'expected at least one YAML document; found none (the file is empty or holds only comments)',
    severity: 'error',
  };
}

/** One run: documents checked one at a time, then the references across all of them. */
class Validation {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly objects: ValidObject[] = [];
  private readonly referenced: ReferencedObject[] = [];
  private readonly invalid: ObjectIdentity[] = [];
  private readonly kinds: Record<string, number> = {};
  private readonly files = new Set<string>();
  private readonly phi: PhiScanner | undefined;
  private readonly keepObjects: boolean;
  private foreign = 0;
  private documents = 0;

  constructor(options: Pick<ValidateOptions, 'phi' | 'keepObjects'>) {
    const phi = options.phi;
    this.phi = typeof phi === 'function' ? phi : phi ? (doc) => scanForPhi(doc, phi) : undefined;
    this.keepObjects = options.keepObjects ?? true;
  }

  addDiagnostics(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) this.diagnostics.push(d);
  }

  /** `named`: the file, when it was named on the command line, so that finding nothing in it is reported. */
  addLoaded(loaded: LoadedYaml, named?: string): void {
    if (named !== undefined && loaded.documents.length === 0 && loaded.diagnostics.length === 0)
      this.addDiagnostics([nothingIn(named)]);
    this.addDiagnostics(loaded.diagnostics);
    for (const doc of loaded.documents) this.addDocument(doc);
  }

  addDocument(doc: SourceDocument): void {
    this.documents++;
    this.files.add(doc.file);
    if (this.phi) this.addDiagnostics(this.phi(doc));
    const result = validateDocument(doc);
    this.addDiagnostics(result.diagnostics);
    if (result.outcome === 'foreign') this.foreign++;
    if (result.outcome === 'invalid' && result.identity) this.invalid.push(result.identity);
    if (result.outcome === 'valid') {
      const object = result.object;
      this.referenced.push(referencedObject(object));
      if (this.keepObjects) this.objects.push(object);
      this.kinds[object.kind] = (this.kinds[object.kind] ?? 0) + 1;
    }
  }

  /** All this run has seen, to be posted to the run that takes it up with addPart. */
  part(): ValidationPart {
    const packer = new LocatorPacker();
    const referenced = this.referenced.map((o) => ({ ...o, source: packer.pack(o.source) }));
    return {
      diagnostics: this.diagnostics,
      documents: this.documents,
      foreign: this.foreign,
      kinds: this.kinds,
      files: [...this.files],
      invalid: this.invalid,
      referenced,
      texts: packer.texts,
    };
  }

  /** What another run saw, as if its files had been checked here, after the files already checked. */
  addPart(part: ValidationPart): void {
    this.addDiagnostics(part.diagnostics);
    this.documents += part.documents;
    this.foreign += part.foreign;
    for (const [kind, n] of Object.entries(part.kinds)) this.kinds[kind] = (this.kinds[kind] ?? 0) + n;
    for (const file of part.files) this.files.add(file);
    for (const identity of part.invalid) this.invalid.push(identity);
    const unpack = unpackLocators(part.texts);
    for (const o of part.referenced) this.referenced.push({ ...o, source: unpack(o.source) });
  }

  finish(): ValidationReport {
    const diagnostics = this.diagnostics;
    this.addDiagnostics(checkReferences(this.referenced, this.invalid));
    diagnostics.sort(compareDiagnostics);
    const byKind = Object.fromEntries(Object.entries(this.kinds).sort(([a], [b]) => a.localeCompare(b)));
    let errors = 0;
    let warnings = 0;
    for (const d of diagnostics) {
      this.files.add(d.file);
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
    }
    return {
      files: this.files.size,
      documents: this.documents,
      kinds: byKind,
      foreign: this.foreign,
      errors,
      warnings,
      diagnostics,
      objects: this.objects,
    };
  }
}
