import { execute, getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import type { Context } from './context.js';

/**
 * How an in-process caller (the REST layer) runs a GraphQL document against the schema. Two
 * implementations answer the same documents with the same JSON (test/rest/executor-agreement.test.ts);
 * which one REST reads use is a speed choice, never a behaviour one.
 */
export interface Executor {
  readonly name: ExecutorName;
  /** Runs a document already validated against the schema (callers validate once and reuse it). */
  execute(document: DocumentNode, variables: Record<string, unknown>, context: Context): Promise<ExecutionResult> | ExecutionResult;
}

export type ExecutorName = 'graphql-js' | 'graphql-jit';

/** Tells the context which kind of operation runs (a query may read from a replica: src/db/replica-reads.ts). */
const starting = (document: DocumentNode, context: Context) => {
  const kind = getOperationAST(document)?.operation;
  if (kind) context.operationStarting(kind);
};

/** The reference implementation: graphql-js, as graphql-yoga runs /graphql. */
export function graphqlJsExecutor(schema: GraphQLSchema): Executor {
  return {
    name: 'graphql-js',
    execute: (document, variableValues, contextValue) => {
      starting(document, contextValue);
      return execute({ schema, document, variableValues, contextValue });
    },
  };
}

// graphql-jit is loaded by the first REST request that runs a document, not at server start.
let jit: Promise<typeof import('graphql-jit')> | undefined;
const loadJit = () => (jit ??= import('graphql-jit'));

/**
 * graphql-jit: each document is compiled once to JavaScript with the schema's own resolvers. The
 * compiled form lives as long as the DocumentNode it came from (a WeakMap), so a caller's bounded
 * document cache also bounds this one.
 */
export function jitExecutor(schema: GraphQLSchema): Executor {
  const compiled = new WeakMap<DocumentNode, Promise<CompiledQuery>>();
  const compile = (document: DocumentNode): Promise<CompiledQuery> => {
    const query = loadJit().then(({ compileQuery, isCompiledQuery }) => {
      // Leaf serialisation off: the graph's resolvers return strings, booleans and numbers of the
      // right type, so built-in scalar and enum leaves are read as they are instead of allocating an
      // error location and path per leaf and row. The agreement test keeps this assumption honest.
      const result = compileQuery(schema, document, undefined, { disableLeafSerialization: true });
      if (!isCompiledQuery(result)) throw new Error(`document does not compile: ${result.errors?.map((e) => e.message).join('; ')}`);
      return result;
    });
    compiled.set(document, query);
    return query;
  };
  return {
    name: 'graphql-jit',
    execute: async (document, variables, context) => {
      starting(document, context);
      return (await (compiled.get(document) ?? compile(document))).query(undefined, context, variables);
    },
  };
}

export function createExecutor(schema: GraphQLSchema, name: ExecutorName): Executor {
  return name === 'graphql-jit' ? jitExecutor(schema) : graphqlJsExecutor(schema);
}
