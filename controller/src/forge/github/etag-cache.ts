// Conditional requests: GitHub answers `If-None-Match` with 304 when nothing changed, and a 304 does not count
// against the rate limit. Polling reviews, commits, pull requests, check runs and team members every interval
// is then free until something moves. The cache keeps the last body per URL, bounded, least recently used first.

export interface CachedResponse {
  etag: string;
  body: string;
  /** The headers a reader of the body needs again: content type, pagination links. */
  headers: Record<string, string>;
}

/** Headers replayed with a cached body: what octokit reads (content-type to parse, link to paginate). */
export const REPLAYED_HEADERS = ['content-type', 'link', 'etag', 'last-modified'] as const;

export class EtagCache {
  private readonly entries = new Map<string, CachedResponse>();

  /**
   * @param maxEntries how many URLs to remember
   * @param maxBodyBytes larger bodies are not kept (a file read once should not crowd out what is polled)
   */
  constructor(
    readonly maxEntries = 1000,
    readonly maxBodyBytes = 1024 * 1024,
  ) {}

  /** The key: the URL and the representation asked for (a raw file and its JSON are different bodies). */
  static key(url: string, accept: string | undefined): string {
    return `${accept ?? ''} ${url}`;
  }

  get(key: string): CachedResponse | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh its place: most recently used last.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, entry: CachedResponse): void {
    this.entries.delete(key);
    if (Buffer.byteLength(entry.body) > this.maxBodyBytes) return;
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
