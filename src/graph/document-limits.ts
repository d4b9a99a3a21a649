import { Kind, Lexer, Source, TokenKind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { CodedError } from '../shared/errors.js';

/**
 * Limits on the GraphQL document itself: its length in characters and its tokens (checked before
 * parsing), the fields and aliases it selects once fragments are expanded, `__typename` included
 * (checked before validation). A document of a huge number of `__typename` aliases reads no data, yet
 * validating and executing it holds the process for seconds; these limits refuse it first.
 */
export interface DocumentLimits { maxChars: number; maxTokens: number; maxAliases: number; maxFields: number }

/** The limits for signed-in callers, and the tighter ones for requests without a token. */
export interface DocumentLimitSettings { signedIn: DocumentLimits; anonymous: DocumentLimits }

export interface SelectionCount { fields: number; aliases: number }

const tooComplex = (message: string, limit: string) =>
  new CodedError('QUERY_TOO_COMPLEX', message, { limit, http: { status: 400 } });

/**
 * Fields and aliases of every operation, each fragment counted once per spread. Fragment totals are
 * memoised, so a fragment spread many times is counted in time proportional to the document's size.
 */
export function countSelections(document: DocumentNode): SelectionCount {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, SelectionCount>();
  const visiting = new Set<string>();
  const ofSet = (set: SelectionSetNode | undefined): SelectionCount => {
    const total = { fields: 0, aliases: 0 };
    for (const s of set?.selections ?? []) {
      let inner: SelectionCount;
      if (s.kind === Kind.FIELD) {
        inner = ofSet(s.selectionSet);
        total.fields += 1;
        if (s.alias) total.aliases += 1;
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        inner = ofSet(s.selectionSet);
      } else {
        inner = ofFragment(s.name.value);
      }
      total.fields += inner.fields;
      total.aliases += inner.aliases;
    }
    return total;
  };
  const ofFragment = (name: string): SelectionCount => {
    const known = memo.get(name);
    if (known) return known;
    // Unknown or cyclic spreads are validation errors, reported later; they add nothing here.
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return { fields: 0, aliases: 0 };
    visiting.add(name);
    const count = ofSet(fragment.selectionSet);
    visiting.delete(name);
    memo.set(name, count);
    return count;
  };
  const total = { fields: 0, aliases: 0 };
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const c = ofSet(d.selectionSet);
    total.fields += c.fields;
    total.aliases += c.aliases;
  }
  return total;
}

/** Throws QUERY_TOO_COMPLEX when the parsed document selects more fields or aliases than allowed. */
export function checkSelections(document: DocumentNode, limits: DocumentLimits): void {
  const { fields, aliases } = countSelections(document);
  if (aliases > limits.maxAliases) {
    throw tooComplex(`the document uses ${aliases} aliases; the limit is ${limits.maxAliases} (GRAPHQL_MAX_ALIASES)`, 'GRAPHQL_MAX_ALIASES');
  }
  if (fields > limits.maxFields) {
    throw tooComplex(`the document selects ${fields} fields (fragments expanded); the limit is ${limits.maxFields} (GRAPHQL_MAX_FIELDS)`, 'GRAPHQL_MAX_FIELDS');
  }
}

/**
 * Refuses an over-long text without reading it, then counts tokens with graphql-js's own lexer,
 * stopping one past the limit. Every token takes at least one character, so a text no longer than
 * the token limit needs no counting.
 */
export function checkSource(source: string, limits: DocumentLimits): void {
  if (source.length > limits.maxChars) {
    throw tooComplex(`the document has ${source.length} characters; the limit is ${limits.maxChars} (GRAPHQL_MAX_DOCUMENT_CHARS)`, 'GRAPHQL_MAX_DOCUMENT_CHARS');
  }
  if (source.length <= limits.maxTokens) return;
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++tokens > limits.maxTokens) throw tooComplex(`the document has more than ${limits.maxTokens} tokens (GRAPHQL_MAX_TOKENS)`, 'GRAPHQL_MAX_TOKENS');
    }
  } catch (err) {
    // A syntax error is the parser's to report, with its position.
    if (err instanceof CodedError) throw err;
  }
}

/**
 * The yoga plugin. Its checks throw from the hooks themselves, before yoga's parse and validation
 * caches are consulted: every request is checked against its own caller's limits, and a refusal is
 * never cached for another caller. Selection counts are remembered per parsed document.
 */
export function documentLimitsPlugin<C extends object>(settings: DocumentLimitSettings, isAnonymous: (context: C) => boolean): Plugin<C> {
  const counted = new WeakMap<DocumentNode, SelectionCount>();
  const limitsOf = (context: C) => (isAnonymous(context) ? settings.anonymous : settings.signedIn);
  return {
    onParse({ context, params }) {
      checkSource(typeof params.source === 'string' ? params.source : params.source.body, limitsOf(context));
    },
    onValidate({ context, params }) {
      const limits = limitsOf(context);
      let count = counted.get(params.documentAST);
      if (!count) counted.set(params.documentAST, (count = countSelections(params.documentAST)));
      if (count.aliases > limits.maxAliases || count.fields > limits.maxFields) checkSelections(params.documentAST, limits);
    },
  };
}
