// Which of a contract's servers a test reads, and where each schema object's file is on it.
//
// A server carries a file when it is of type local (ODCS: path and format), or of type custom with a path, or
// of any type whose location is a file:// URI. Other servers (databases, object stores, streams) are read by
// adapters that do not exist yet. The path is relative to the governance repository root. With more than one
// schema object, the path names each object's file with a placeholder, "{object}" (or "{model}", as
// datacontract-cli writes it): data/{object}.parquet.
import type { DataContractSpec } from '../../../specs/datacontract.js';

type Server = NonNullable<DataContractSpec['servers']>[number];

export interface FileServer {
  server: string;
  /** The path (or file:// URI) as written, placeholders and all. */
  path: string;
  format?: string;
}

/** The server to test against: the one named, else the first that carries a file. */
export function fileServerOf(spec: DataContractSpec, name?: string): FileServer | { error: string } {
  const servers = spec.servers ?? [];
  const listed = servers.map((s) => `${s.server} (${s.type})`).join(', ') || 'none';
  if (name !== undefined) {
    const s = servers.find((x) => x.server === name);
    if (!s) return { error: `the contract has no server "${name}"; its servers: ${listed}` };
    return fileOf(s) ?? { error: `server ${name} is of type ${s.type}, ${NOT_A_FILE}` };
  }
  for (const s of servers) {
    const f = fileOf(s);
    if (f) return f;
  }
  return { error: `no server carries a file to test (${NOT_A_FILE}); servers: ${listed}` };
}

const NOT_A_FILE =
  'which contract tests cannot read yet: they read files, from a server of type local, of type custom with a path, or with a file:// location';

function fileOf(s: Server): FileServer | undefined {
  const format = s.format !== undefined ? { format: s.format } : {};
  if ((s.type === 'local' || s.type === 'custom') && s.path !== undefined) {
    return { server: s.server, path: s.path, ...format };
  }
  if (s.location?.startsWith('file:')) return { server: s.server, path: s.location, ...format };
  return undefined;
}

/** The file of schema object `object` among `count` objects, or why there is none. */
export function objectPath(server: FileServer, object: string, count: number): string | { error: string } {
  const placeholder = /\{(object|model)\}/g;
  if (placeholder.test(server.path)) return server.path.replace(placeholder, object);
  if (count === 1) return server.path;
  return {
    error: `server ${server.server} has one path for ${count} schema objects; name each object's file with {object}, e.g. data/{object}.csv`,
  };
}
