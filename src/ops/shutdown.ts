import type { FastifyInstance } from 'fastify';

/**
 * Stops the HTTP side for a shutdown: the listening socket closes at once (a load balancer's next
 * connection goes to another instance; requests arriving on kept-alive connections get 503), requests
 * in flight are finished, and whatever is still open after `timeoutMs` (SHUTDOWN_TIMEOUT_MS) is cut so
 * the process can close its database pool and exit.
 */
export async function closeHttp(app: FastifyInstance, timeoutMs: number): Promise<void> {
  const cut = setTimeout(() => {
    app.log.warn({ timeoutMs }, 'shutdown: requests still in flight after SHUTDOWN_TIMEOUT_MS; closing their connections');
    app.server.closeAllConnections();
  }, timeoutMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}
