import type { EntityManager } from '@mikro-orm/postgresql';
import { OAuthClient } from '../db/entities.js';
import { expandScope } from './scopes.js';
import { generateClientId, generateClientSecret, hashSecret } from './secrets.js';
import type { ClientLookup, ClientRecord } from './token-route.js';

interface ClientRow { clientId: string; name: string; secretHash: string; scopes: string[]; createdAt: Date }

/** OAuth clients in the database; secrets are only ever stored as scrypt hashes. */
export class ClientStore implements ClientLookup {
  constructor(private readonly em: EntityManager) {}

  async find(clientId: string): Promise<ClientRecord | null> {
    const row = await this.em.fork().findOne(OAuthClient, { clientId }) as ClientRow | null;
    return row && { clientId: row.clientId, secretHash: row.secretHash, scopes: row.scopes };
  }

  /** Creates a client; the secret is returned once and never stored in clear. */
  async add(name: string, scopes: string[]): Promise<{ client_id: string; client_secret: string; scopes: string[] }> {
    const fullScopes = scopes.map(expandScope);
    const clientId = generateClientId();
    const secret = generateClientSecret();
    const em = this.em.fork();
    em.create(OAuthClient, { clientId, name, secretHash: await hashSecret(secret), scopes: fullScopes, createdAt: new Date() } as never);
    await em.flush();
    return { client_id: clientId, client_secret: secret, scopes: fullScopes };
  }

  async list(): Promise<Array<{ client_id: string; name: string; scopes: string[]; created_at: string }>> {
    const rows = await this.em.fork().find(OAuthClient, {}, { orderBy: { createdAt: 'asc' } }) as ClientRow[];
    return rows.map((r) => ({ client_id: r.clientId, name: r.name, scopes: r.scopes, created_at: new Date(r.createdAt).toISOString() }));
  }

  async remove(clientId: string): Promise<boolean> {
    return (await this.em.fork().nativeDelete(OAuthClient, { clientId })) > 0;
  }

  async rotateSecret(clientId: string): Promise<{ client_id: string; client_secret: string } | null> {
    const secret = generateClientSecret();
    const n = await this.em.fork().nativeUpdate(OAuthClient, { clientId }, { secretHash: await hashSecret(secret) } as never);
    return n > 0 ? { client_id: clientId, client_secret: secret } : null;
  }

  async count(): Promise<number> {
    return this.em.fork().count(OAuthClient, {});
  }
}
