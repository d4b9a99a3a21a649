import path from 'node:path';

/** Every setting the service reads from the environment, in one place (README: Configuration). */
export interface AppConfig {
  databaseUrl?: string;
  dataDir: string;
  port: number;
  /** HOST; unset: 127.0.0.1 for the embedded store (the demo stays on this machine), 0.0.0.0 with DATABASE_URL. */
  host?: string;
  maxLimit: number;
  statementTimeoutMs: number;
  maxDepth: number;
  maxComplexity: number;
  tokenTtlSeconds: number;
  authDisabled: boolean;
  logLevel: string;
  /** Connections of the embedded database's socket server; also the ORM pool size there. */
  embeddedConnections: number;
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
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    port: int(env.PORT, 4000),
    host: env.HOST || undefined,
    maxLimit: int(env.MAX_LIMIT, 10_000),
    statementTimeoutMs: int(env.STATEMENT_TIMEOUT_MS, 15_000),
    maxDepth: int(env.GRAPHQL_MAX_DEPTH, 10),
    maxComplexity: int(env.GRAPHQL_MAX_COMPLEXITY, 50_000),
    tokenTtlSeconds: int(env.TOKEN_TTL_SECONDS, 3600),
    authDisabled: env.AUTH === 'off',
    logLevel: env.LOG_LEVEL || 'info',
    embeddedConnections: int(env.EMBEDDED_CONNECTIONS, 4),
  };
}
