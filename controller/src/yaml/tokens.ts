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

/**
 * Whether quickDepthExceeded is worth running: the running balance of flow brackets, or the `-`/`?` on one line,
 * passes `maxDepth`. One pass over the characters, about a hundredth of the cost of lexing. Brackets inside
 * quoted text can throw the balance off; then the full parse and the CST walk still refuse the file, only
 * less quickly.
 */
export function mayExceedDepth(source: string, maxDepth: number): boolean {
  let flowBalance = 0;
  let lineIndicators = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++flowBalance > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      if (flowBalance > 0) flowBalance--;
    } else if (c === 0x2d || c === 0x3f) {
      if (++lineIndicators > maxDepth) return true;
    } else if (c === 0x0a) {
      lineIndicators = 0;
    }
  }
  return false;
}

/**
 * One walk of the CST: the first collection nested deeper than `maxDepth`, and every comment in source order.
 * An explicit stack, because the CST of a hostile file may be far deeper than the call stack; no per-token
 * allocation beyond the stack itself, because this runs over every token of every file.
 */
export function scanTokens(
  tokens: readonly CST.Token[],
  maxDepth: number,
): { tooDeepAt?: number; comments: SourceComment[] } {
  const comments: SourceComment[] = [];
  const stack: CST.Token[] = [];
  const depths: number[] = [];
  const push = (token: CST.Token, enclosing: number) => {
    stack.push(token);
    depths.push(CST.isCollection(token) ? enclosing + 1 : enclosing);
  };
  const pushAll = (list: readonly CST.Token[] | undefined, depth: number) => {
    if (list) for (let i = list.length - 1; i >= 0; i--) push(list[i]!, depth);
  };
  for (let i = tokens.length - 1; i >= 0; i--) push(tokens[i]!, 0);
  while (stack.length > 0) {
    const token = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return { tooDeepAt: token.offset, comments: [] };
    // Children go on the stack in reverse so they come off in source order.
    switch (token.type) {
      case 'comment':
        comments.push({ text: token.source, offset: token.offset });
        break;
      case 'document':
        pushAll(token.end, depth);
        if (token.value) push(token.value, depth);
        pushAll(token.start, depth);
        break;
      case 'doc-end':
        pushAll(token.end, depth);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (token.type === 'flow-collection') pushAll(token.end, depth);
        for (let i = token.items.length - 1; i >= 0; i--) {
          const item = token.items[i]!;
          if (item.value) push(item.value, depth);
          pushAll(item.sep, depth);
          if (item.key) push(item.key, depth);
          pushAll(item.start, depth);
        }
        if (token.type === 'flow-collection') push(token.start, depth);
        break;
      }
      case 'alias':
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
        pushAll(token.end, depth);
        break;
      case 'block-scalar':
        pushAll(token.props, depth);
        break;
    }
  }
  return { comments: comments.sort((a, b) => a.offset - b.offset) };
}

export interface SourceComment {
  /** The comment as written, from `#` to the end of its line. */
  text: string;
  offset: number;
}
