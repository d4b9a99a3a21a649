import { Lexer, Source, TokenKind } from 'graphql';
import { findNul, hasNul, jsonTextTooDeep, nulMessage, tooDeepMessage, valueTooDeep } from './input-limits.js';

/** Whether a string literal of a GraphQL document decodes to a NUL (`"\u0000"`); other tokens cannot hold one. */
function literalHasNul(query: string): boolean {
  if (!query.includes('\\u')) return false;
  const lexer = new Lexer(new Source(query));
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.STRING && hasNul(token.value)) return true;
    }
  } catch {
    return false; // a syntax error: yoga reports it
  }
  return false;
}

/**
 * What is wrong with a GraphQL request's inputs before yoga parses and executes it: a NUL in a
 * variable or a string literal, or variables nested deeper than `maxDepth` (input coercion recurses).
 * GET carries the variables as JSON text in the query string, POST as the already parsed body.
 */
export function graphqlInputProblem(params: { query?: unknown; variables?: unknown }, maxDepth: number): string | undefined {
  const { query } = params;
  let { variables } = params;
  if (typeof variables === 'string') {
    if (jsonTextTooDeep(variables, maxDepth)) return `variables: ${tooDeepMessage(maxDepth)}`;
    try { variables = JSON.parse(variables); } catch { return undefined; /* yoga reports it */ }
  }
  if (valueTooDeep(variables, maxDepth)) return `variables: ${tooDeepMessage(maxDepth)}`;
  const where = findNul(variables);
  if (where) return nulMessage(`variable ${where}`);
  if (typeof query === 'string' && (hasNul(query) || literalHasNul(query))) return nulMessage('a string in the query');
  return undefined;
}
