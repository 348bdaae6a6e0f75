// Fault injection for tests: make the next matching requests fail the ways GitHub fails (a secondary rate
// limit with retry-after, a spent primary rate limit with its reset time, a 5xx), so callers can prove they
// back off, wait and fail closed.
export type Fault =
  | { kind: 'secondary-rate-limit'; retryAfterSeconds?: number }
  | { kind: 'primary-rate-limit'; resetInSeconds?: number }
  | { kind: 'server-error'; status?: 500 | 502 | 503 | 504 };

export interface FaultRule {
  fault: Fault;
  /** How many matching requests fail; 1 when absent, Infinity for all until cleared. */
  times?: number;
  method?: string;
  /** GitHub's path template (e.g. /repos/{owner}/{repo}/pulls) or a pattern tested on the request path. */
  route?: string | RegExp;
  user?: string;
}

interface ActiveRule extends FaultRule {
  left: number;
}

export class Faults {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): { clear(): void } {
    const active: ActiveRule = { ...rule, left: rule.times ?? 1 };
    this.rules.push(active);
    return {
      clear: () => {
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault this request meets, if any (spending one of the rule's uses). */
  take(request: { method: string; template?: string; path: string; user?: string }): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.left <= 0) continue;
      if (rule.method && rule.method.toUpperCase() !== request.method) continue;
      if (rule.user && rule.user !== request.user) continue;
      if (rule.route instanceof RegExp && !rule.route.test(request.path)) continue;
      if (typeof rule.route === 'string' && rule.route !== request.template) continue;
      rule.left -= 1;
      if (rule.left <= 0) this.rules = this.rules.filter((r) => r !== rule);
      return rule.fault;
    }
    return undefined;
  }
}
