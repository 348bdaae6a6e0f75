// Where each schema object's file is on a server that carries files (contract-source.ts chooses the server).
// The path is relative to the governance repository root. With more than one schema object, the path names each
// object's file with a placeholder, "{object}" (or "{model}", as datacontract-cli writes it), as in
// data/{object}.parquet.

export interface FileServer {
  server: string;
  /** The path (or file:// URI) as written, placeholders and all. */
  path: string;
  format?: string;
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
