// Which operation a request is: method + GitHub's path template (the same template the OpenAPI description
// uses, so the contract check looks the operation up directly), and list pagination with Link headers.
import type { UserRecord } from './state.js';

export interface RequestContext {
  method: string;
  /** GitHub's path template, e.g. /repos/{owner}/{repo}/pulls/{pull_number}. */
  template: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  user: UserRecord;
  /** The request URL as the client addressed it (for Link headers). */
  url: URL;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  template: string;
  handle(ctx: RequestContext): Promise<Reply>;
  /** Not counted against the primary rate limit (GET /rate_limit, as on GitHub). */
  free?: boolean;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
  literals: number;
}

// Parameters GitHub lets span several path segments (a file path, a ref such as heads/feature/x, a basehead, a
// tree named by a branch such as feature/x).
const MULTI_SEGMENT = new Set(['path', 'ref', 'basehead', 'tree_sha']);

export function compileTemplate(template: string): { regex: RegExp; names: string[]; literals: number } {
  const names: string[] = [];
  let literals = 0;
  const pattern = template
    .split('/')
    .map((segment) => {
      const m = /^\{(\w+)\}$/.exec(segment);
      if (!m) {
        if (segment !== '') literals += 1;
        return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      }
      const name = m[1] ?? '';
      names.push(name);
      return MULTI_SEGMENT.has(name) ? '(.+?)' : '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${pattern}/?$`), names, literals };
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): void {
    for (const r of routes) this.routes.push({ ...r, ...compileTemplate(r.template) });
    // The more literal segments a template has, the more specific it is: /branches/{branch}/protection
    // must win over /branches/{branch} when a branch name could swallow "/protection".
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  /** The route for a request, or why there is none: 404 (no such path) or 405-like (path, other method). */
  match(
    method: string,
    rawPath: string,
  ): { route: Route; params: Record<string, string> } | { route?: undefined; pathKnown: boolean } {
    let pathKnown = false;
    for (const r of this.routes) {
      const m = r.regex.exec(rawPath);
      if (!m) continue;
      pathKnown = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = safeDecode(m[i + 1] ?? '');
      });
      return { route: r, params };
    }
    return { pathKnown };
  }

  templates(): { method: string; template: string }[] {
    return this.routes.map((r) => ({ method: r.method, template: r.template }));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** per_page (default 30, at most 100) and page (from 1) as GitHub reads them. */
export function pageWindow(query: URLSearchParams): { perPage: number; page: number } {
  const perPage = Math.min(100, Math.max(1, Number.parseInt(query.get('per_page') ?? '30', 10) || 30));
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  return { perPage, page };
}

/** One page of a list and its Link header (first, prev, next, last), built on the URL the client used. */
export function paginate<T>(items: T[], url: URL): { items: T[]; link?: string } {
  const { perPage, page } = pageWindow(url.searchParams);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  if (last === 1) return { items: slice };
  const at = (p: number) => {
    const u = new URL(url.href);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return u.href;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${at(page - 1)}>; rel="prev"`);
  if (page < last) rels.push(`<${at(page + 1)}>; rel="next"`);
  if (page < last) rels.push(`<${at(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${at(1)}>; rel="first"`);
  return { items: slice, link: rels.join(', ') };
}

/** A 200 list reply, paginated. */
export function listReply<T>(items: T[], url: URL): Reply {
  const { items: pageItems, link } = paginate(items, url);
  return { status: 200, body: pageItems, headers: link ? { link } : {} };
}
