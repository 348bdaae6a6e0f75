// Every request the forge answered, so tests can count what a caller did: how many calls, which writes,
// which were conditional and answered 304 (free against the rate limit), which met an injected fault.
export interface Call {
  method: string;
  path: string;
  /** GitHub's path template of the operation, when the path is one the forge serves. */
  route?: string;
  status: number;
  user?: string;
  /** The request carried If-None-Match. */
  conditional: boolean;
  /** Answered 304 Not Modified. */
  notModified: boolean;
  fault?: string;
  at: number;
}

export class CallLog {
  readonly entries: Call[] = [];

  record(call: Call): void {
    this.entries.push(call);
  }

  /** Calls matching every given field (all calls without a filter). */
  filter(match: Partial<Pick<Call, 'method' | 'route' | 'status' | 'user' | 'notModified'>> = {}): Call[] {
    return this.entries.filter((c) =>
      Object.entries(match).every(([k, v]) => (c as unknown as Record<string, unknown>)[k] === v),
    );
  }

  count(match?: Partial<Pick<Call, 'method' | 'route' | 'status' | 'user' | 'notModified'>>): number {
    return this.filter(match).length;
  }

  /** Calls that change something (anything but GET and HEAD). */
  writes(): Call[] {
    return this.entries.filter((c) => c.method !== 'GET' && c.method !== 'HEAD');
  }

  clear(): void {
    this.entries.length = 0;
  }
}
