import path from 'node:path';
import type { DocumentLimitSettings } from '../graph/document-limits.js';

/** Every setting the service reads from the environment, in one place (README: Configuration). */
export interface AppConfig {
  databaseUrl?: string;
  /** DATABASE_REPLICA_URL, comma-separated: streaming replicas of DATABASE_URL that serve GraphQL queries and REST GETs. */
  databaseReplicaUrls: string[];
  /** REPLICA_READ_YOUR_WRITES_MS: how long after a write a client's reads stay on the primary (src/db/replica-reads.ts). */
  replicaReadYourWritesMs: number;
  dataDir: string;
  port: number;
  /** HOST; unset: 127.0.0.1 for the embedded store (the demo stays on this machine), 0.0.0.0 with DATABASE_URL. */
  host?: string;
  maxLimit: number;
  statementTimeoutMs: number;
  maxDepth: number;
  maxComplexity: number;
  /** Document limits for GraphQL requests with a token, and the tighter ones without (src/graph/document-limits.ts). */
  graphqlDocument: DocumentLimitSettings;
  maxFilterPredicates: number;
  maxFilterDepth: number;
  tokenTtlSeconds: number;
  /** JWT_SIGNING_KEY; unset: a key generated in DATA_DIR (src/auth/signing-keys.ts). */
  jwtSigningKey?: string;
  /** JWT_PREVIOUS_SIGNING_KEYS, comma-separated: older keys whose tokens stay valid until they expire. */
  jwtPreviousSigningKeys?: string;
  /** SIGNING_KEYS_REFRESH_SECONDS as given: how often an instance re-reads the shared keys (checked in src/auth/signing-keys.ts). */
  signingKeysRefreshSeconds?: string;
  authDisabled: boolean;
  logLevel: string;
  /** Largest request body of GraphQL and the REST writes; the token endpoint and CSV upload have their own. */
  maxBodyBytes: number;
  /** Deepest object/array nesting of a JSON body or of GraphQL variables. */
  maxJsonDepth: number;
  /** Connections of the embedded database's socket server; also the ORM pool size there. */
  embeddedConnections: number;
  /** CSV import limits (src/csv/limits.ts). */
  csv: CsvLimits;
  /** CSV_TIMINGS: every statement of a CSV import prints its duration to stderr (profiling). */
  csvTimings: boolean;
  /** How long SIGTERM waits for requests in flight before cutting them (src/ops/shutdown.ts). */
  shutdownTimeoutMs: number;
  /** METRICS_PORT: serve /metrics there without a token instead of on PORT with the metrics scope. */
  metricsPort?: number;
  /** METRICS_HOST: the address METRICS_PORT listens on (default 127.0.0.1). */
  metricsHost: string;
  /** SOURCES_KEY: 32 bytes (base64 or 64 hex digits) sealing the client secrets of upstream sources (src/sync/source-secrets.ts). */
  sourcesKey?: string;
}

export interface CsvLimits {
  /** Longest physical line of a CSV file, in bytes. */
  maxLineBytes: number;
  /** Largest sum of a ZIP package's uncompressed entries. */
  maxUnzippedBytes: number;
  /** Largest uncompressed ÷ compressed size of one ZIP entry (entries over 1 MiB). */
  maxZipRatio: number;
  /** Largest package upload over HTTP. */
  maxUploadBytes: number;
}

const int = (value: string | undefined, fallback: number) => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, got "${value}"`);
  return n;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    databaseReplicaUrls: (env.DATABASE_REPLICA_URL ?? '').split(',').map((u) => u.trim()).filter(Boolean),
    replicaReadYourWritesMs: int(env.REPLICA_READ_YOUR_WRITES_MS, 5_000),
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    port: int(env.PORT, 4000),
    host: env.HOST || undefined,
    maxLimit: int(env.MAX_LIMIT, 10_000),
    statementTimeoutMs: int(env.STATEMENT_TIMEOUT_MS, 15_000),
    maxDepth: int(env.GRAPHQL_MAX_DEPTH, 10),
    maxComplexity: int(env.GRAPHQL_MAX_COMPLEXITY, 250_000),
    graphqlDocument: {
      signedIn: {
        maxChars: int(env.GRAPHQL_MAX_DOCUMENT_CHARS, 100_000), maxTokens: int(env.GRAPHQL_MAX_TOKENS, 20_000),
        maxAliases: int(env.GRAPHQL_MAX_ALIASES, 200), maxFields: int(env.GRAPHQL_MAX_FIELDS, 5_000),
      },
      anonymous: {
        maxChars: int(env.GRAPHQL_ANONYMOUS_MAX_DOCUMENT_CHARS, 10_000), maxTokens: int(env.GRAPHQL_ANONYMOUS_MAX_TOKENS, 1_000),
        maxAliases: int(env.GRAPHQL_ANONYMOUS_MAX_ALIASES, 10), maxFields: int(env.GRAPHQL_ANONYMOUS_MAX_FIELDS, 500),
      },
    },
    maxFilterPredicates: int(env.MAX_FILTER_PREDICATES, 100),
    maxFilterDepth: int(env.MAX_FILTER_DEPTH, 10),
    tokenTtlSeconds: int(env.TOKEN_TTL_SECONDS, 3600),
    jwtSigningKey: env.JWT_SIGNING_KEY || undefined,
    jwtPreviousSigningKeys: env.JWT_PREVIOUS_SIGNING_KEYS || undefined,
    signingKeysRefreshSeconds: env.SIGNING_KEYS_REFRESH_SECONDS || undefined,
    authDisabled: env.AUTH === 'off',
    logLevel: env.LOG_LEVEL || 'info',
    maxBodyBytes: int(env.MAX_BODY_BYTES, 1024 * 1024),
    maxJsonDepth: int(env.MAX_JSON_DEPTH, 64),
    embeddedConnections: int(env.EMBEDDED_CONNECTIONS, 4),
    shutdownTimeoutMs: int(env.SHUTDOWN_TIMEOUT_MS, 10_000),
    metricsPort: env.METRICS_PORT ? int(env.METRICS_PORT, 0) : undefined,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    csv: {
      maxLineBytes: int(env.CSV_MAX_LINE_BYTES, 1024 * 1024),
      maxUnzippedBytes: int(env.CSV_MAX_UNZIPPED_BYTES, 8 * 1024 ** 3),
      maxZipRatio: int(env.CSV_MAX_ZIP_RATIO, 200),
      maxUploadBytes: int(env.CSV_MAX_UPLOAD_BYTES, 2 * 1024 ** 3),
    },
    csvTimings: !!env.CSV_TIMINGS,
    sourcesKey: env.SOURCES_KEY || undefined,
  };
}
