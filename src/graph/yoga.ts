import { getOperationAST } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { deniedFieldsPlugin } from '../auth/sharing/denied-guard.js';
import type { Context } from './context.js';
import { documentLimitsPlugin, type DocumentLimitSettings } from './document-limits.js';
import { filterGuardPlugin } from './filter-guard.js';
import { schema } from './schema.js';

export interface YogaServerContext { req: FastifyRequest; reply: FastifyReply }

const DEFAULT_QUERY = `# Welcome to oneroster-graph. Send an access token in the Headers tab:
#   { "Authorization": "Bearer <token from POST /oauth/token>" }
# A demo district: its schools, their classes with teachers and students.
query Dashboard {
  schools(first: 3, orderBy: [{ field: name }]) {
    totalCount
    nodes {
      sourcedId
      name
      classes(first: 5) {
        totalCount
        nodes {
          title
          course { title }
          teachers(first: 2) { nodes { givenName familyName } }
          students(first: 5, orderBy: [{ field: familyName }]) {
            totalCount
            nodes { sourcedId givenName familyName }
          }
        }
      }
    }
  }
}
`;

/**
 * graphql-yoga over the Pothos schema. Error masking stays on: only coded GraphQLErrors reach the
 * client, anything unexpected becomes "Unexpected error." and is logged.
 */
export function createGraphQLServer(opts: {
  context: (req: FastifyRequest) => Promise<Context>;
  logger: { error: (obj: unknown, msg?: string) => void };
  /** Pre-filled GraphiQL headers for this request (the demo token), or undefined for the empty template. */
  graphiqlHeadersFor?: (req: FastifyRequest) => Promise<string | undefined>;
  documentLimits: DocumentLimitSettings;
}) {
  return createYoga<YogaServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    context: ({ req }) => opts.context(req),
    graphiql: async (_request, server) => ({
      title: 'oneroster-graph', defaultQuery: DEFAULT_QUERY,
      headers: (await opts.graphiqlHeadersFor?.(server.req)) ?? '{\n  "Authorization": "Bearer "\n}',
    }),
    logging: {
      debug: () => {}, info: () => {}, warn: () => {},
      error: (...args: unknown[]) => opts.logger.error({ err: args[0] }, 'graphql error'),
    },
    // GraphiQL and every script, style and editor worker it needs come inline in the page: no request
    // leaves the host, so the explorer works on a school network without internet access. That module
    // is megabytes of script, so it is loaded by the first GraphiQL request rather than at server start.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    landingPage: false,
    // The principal is settled before yoga runs (src/app.ts); no principal means no token.
    plugins: [
      documentLimitsPlugin<YogaServerContext>(opts.documentLimits, (server) => !server.req?.principal),
      filterGuardPlugin(),
      operationKindPlugin(),
      deniedFieldsPlugin((ctx) => (ctx as Context).sharing?.denied),
    ],
  });
}



/** Tells the context which operation runs, so that a query may read from a replica (src/db/replica-reads.ts). */
function operationKindPlugin(): Plugin<Context> {
  return {
    onExecute({ args }) {
      const kind = getOperationAST(args.document, args.operationName)?.operation;
      if (kind) args.contextValue.operationStarting(kind);
    },
  };
}
