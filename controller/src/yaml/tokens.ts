// Checks made on yaml's lexer and CST tokens, before any node is composed: yaml's composer and toJS recurse
// once per level of nesting, so depth must be bounded while the input is still flat tokens.
import { CST, Lexer } from 'yaml';

/**
 * Offset of a collection that is certainly nested deeper than `maxDepth`, found with the lexer alone so that
 * a file of a million `[` (or `- - - ...` on one line) is refused in milliseconds instead of parsed in full.
 * Counts open flow collections, and block `-`/`?` indicators on one line (each on the same line opens a
 * collection inside the previous one). Both are lower bounds on nesting, so this never refuses a document
 * the CST walk would accept; the walk decides everything else.
 */
export function quickDepthExceeded(source: string, maxDepth: number): number | undefined {
  let flowDepth = 0;
  let lineIndicators = 0;
  let offset = 0;
  let atScalar = false;
  for (const lexeme of new Lexer().lex(source)) {
    if (atScalar) {
      // The lexeme after a scalar marker is scalar text, even when it reads `[`.
      atScalar = false;
      offset += lexeme.length;
      continue;
    }
    const type = CST.tokenType(lexeme);
    if (type === 'scalar') {
      atScalar = true;
      continue;
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') {
      flowDepth += 1;
      if (flowDepth > maxDepth) return offset;
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      flowDepth = Math.max(0, flowDepth - 1);
    } else if (type === 'seq-item-ind' || type === 'explicit-key-ind') {
      lineIndicators += 1;
      if (lineIndicators > maxDepth) return offset;
    } else if (type === 'newline') {
      lineIndicators = 0;
    } else if (type === 'doc-start' || type === 'doc-end') {
      flowDepth = 0;
    }
    // Mode markers occupy no source text; the parser does not advance its offset for them either.
    if (type !== 'doc-mode' && type !== 'flow-error-end') offset += lexeme.length;
  }
  return undefined;
}

interface Visit {
  token: CST.Token;
  depth: number;
}

/** Every token under `tokens`, each with the number of collections enclosing it (its own included). */
function* walkTokens(tokens: readonly CST.Token[]): Generator<Visit> {
  // An explicit stack: the CST of a hostile file may be far deeper than the call stack.
  const stack: Visit[] = [];
  const push = (token: CST.Token, enclosing: number) =>
    stack.push({ token, depth: CST.isCollection(token) ? enclosing + 1 : enclosing });
  for (let i = tokens.length - 1; i >= 0; i--) push(tokens[i]!, 0);
  while (stack.length > 0) {
    const visit = stack.pop()!;
    yield visit;
    const children = childrenOf(visit.token);
    for (let i = children.length - 1; i >= 0; i--) push(children[i]!, visit.depth);
  }
}

function childrenOf(token: CST.Token): CST.Token[] {
  switch (token.type) {
    case 'document':
      return [...token.start, ...(token.value ? [token.value] : []), ...(token.end ?? [])];
    case 'doc-end':
      return token.end ?? [];
    case 'block-map':
    case 'block-seq':
    case 'flow-collection': {
      const out: CST.Token[] = token.type === 'flow-collection' ? [token.start] : [];
      for (const item of token.items) {
        out.push(...item.start);
        if (item.key) out.push(item.key);
        if (item.sep) out.push(...item.sep);
        if (item.value) out.push(item.value);
      }
      if (token.type === 'flow-collection') out.push(...token.end);
      return out;
    }
    case 'alias':
    case 'scalar':
    case 'single-quoted-scalar':
    case 'double-quoted-scalar':
      return token.end ?? [];
    case 'block-scalar':
      return token.props;
    default:
      return [];
  }
}

/** Offset of the first collection nested deeper than `maxDepth`, or undefined. */
export function findTooDeep(tokens: readonly CST.Token[], maxDepth: number): number | undefined {
  for (const { token, depth } of walkTokens(tokens)) {
    if (depth > maxDepth) return token.offset;
  }
  return undefined;
}

export interface SourceComment {
  /** The comment as written, from `#` to the end of its line. */
  text: string;
  offset: number;
}

/** All comments in the file, in source order. */
export function collectComments(tokens: readonly CST.Token[]): SourceComment[] {
  const comments: SourceComment[] = [];
  for (const { token } of walkTokens(tokens)) {
    if (token.type === 'comment') comments.push({ text: token.source, offset: token.offset });
  }
  return comments.sort((a, b) => a.offset - b.offset);
}
