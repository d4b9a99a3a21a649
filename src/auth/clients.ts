import type { EntityManager } from '@mikro-orm/postgresql';
import { OAuthClient, type OAuthClientRow } from '../db/entities.js';
import { run, sql } from '../db/sql.js';
import { expandScope } from './scopes.js';
import { parseDeniedFields } from './sharing/fields.js';
import { textArray } from './sharing/policy.js';
import { SecretBox } from './secret-box.js';
import { generateClientId, generateClientSecret, hashSecret } from './secrets.js';
import type { ClientLookup, ClientRecord } from './token-route.js';

type ClientRow = OAuthClientRow;

/** Sharing rules as `clients add`/`update` take them: orgs (null: the whole district) and denied `collection.field` names. */
export interface ClientRules { orgs?: string[] | null; deniedFields?: string[] }

/** A client as `clients list` shows it (never its secret). */
export interface ClientListing {
  client_id: string; name: string; scopes: string[]; orgs: string[] | 'all'; denied_fields: string[]; created_at: string;
}

/** A client as the OAuth 1.0a verifier needs it: the secret itself (null for clients made before it was kept). */
export interface SigningClient { clientId: string; secret: string | null; scopes: string[]; tokenGeneration: number }

/**
 * OAuth clients in the database. Secrets are stored as scrypt hashes and, sealed with the server's key,
 * for OAuth 1.0a signatures (src/auth/secret-box.ts); never in clear.
 */
export class ClientStore implements ClientLookup {
  private box?: Promise<SecretBox>;
  constructor(private readonly em: EntityManager) {}

  private secretBox(): Promise<SecretBox> {
    return (this.box ??= SecretBox.load(this.em));
  }

  async find(clientId: string): Promise<ClientRecord | null> {
    const row = await this.em.fork().findOne(OAuthClient, { clientId });
    return row && { clientId: row.clientId, secretHash: row.secretHash, scopes: row.scopes, tokenGeneration: row.tokenGeneration };
  }

  async findForSigning(clientId: string): Promise<SigningClient | null> {
    const row = await this.em.fork().findOne(OAuthClient, { clientId });
    if (!row) return null;
    const secret = row.signingSecret ? (await this.secretBox()).open(row.signingSecret, row.clientId) : null;
    return { clientId: row.clientId, secret, scopes: row.scopes, tokenGeneration: row.tokenGeneration };
  }

  /** The client's current token generation, or null when the client does not exist (any more). */
  async tokenGeneration(clientId: string): Promise<number | null> {
    const [row] = await run(this.em.fork(), sql`select token_generation from oauth_clients where client_id = ${clientId}`);
    return row ? Number(row.token_generation) : null;
  }

  /** Creates a client; the secret is returned once and never stored in clear. */
  async add(name: string, scopes: string[], rules: ClientRules = {}): Promise<{ client_id: string; client_secret: string; scopes: string[] }> {
    const fullScopes = scopes.map(expandScope);
    const orgs = rules.orgs ? await this.checkOrgs(rules.orgs) : null;
    const deniedFields = parseDeniedFields(rules.deniedFields ?? []);
    const clientId = generateClientId();
    const secret = generateClientSecret();
    const signingSecret = (await this.secretBox()).seal(secret, clientId);
    const em = this.em.fork();
    em.create(OAuthClient, { clientId, name, secretHash: await hashSecret(secret), signingSecret, tokenGeneration: 0, scopes: fullScopes, allowedOrgs: orgs, deniedFields, createdAt: new Date() });
    await em.flush();
    return { client_id: clientId, client_secret: secret, scopes: fullScopes };
  }

  async list(): Promise<ClientListing[]> {
    const rows = await this.em.fork().find(OAuthClient, {}, { orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({
      client_id: r.clientId, name: r.name, scopes: r.scopes, orgs: r.allowedOrgs ?? 'all', denied_fields: r.deniedFields ?? [],
      created_at: new Date(r.createdAt).toISOString(),
    }));
  }

  /**
   * Changes a client's scopes and sharing rules (only those given). New scopes revoke the tokens issued
   * before (they carry the old scopes); orgs and denied fields apply to existing tokens within seconds
   * (src/auth/sharing/rules.ts). Returns null when there is no such client.
   */
  async update(clientId: string, change: { scopes?: string[] } & ClientRules): Promise<ClientListing | null> {
    const scopes = change.scopes?.map(expandScope);
    const orgs = change.orgs === undefined ? undefined : change.orgs === null ? null : await this.checkOrgs(change.orgs);
    const denied = change.deniedFields && parseDeniedFields(change.deniedFields);
    const sets = [
      ...(scopes ? [sql`scopes = ${textArray(scopes)}, token_generation = token_generation + 1`] : []),
      ...(orgs !== undefined ? [sql`allowed_orgs = ${orgs === null ? null : textArray(orgs)}`] : []),
      ...(denied ? [sql`denied_fields = ${textArray(denied)}`] : []),
    ];
    if (sets.length === 0) throw new RangeError('nothing to update: give --scopes, --orgs, --all-orgs or --deny-fields');
    const rows = await run(this.em.fork(), sql`update oauth_clients set ${sql.join(sets)} where client_id = ${clientId} returning client_id`);
    if (rows.length === 0) return null;
    return (await this.list()).find((c) => c.client_id === clientId) ?? null;
  }

  /** The given org sourcedIds, each checked to exist; an unknown one is refused by name. */
  private async checkOrgs(orgs: string[]): Promise<string[] | null> {
    const wanted = [...new Set(orgs.map((o) => o.trim()).filter(Boolean))];
    if (wanted.length === 0) return null;
    const found = new Set((await run(this.em.fork(), sql`select sourced_id from orgs where sourced_id = any(${textArray(wanted)})`))
      .map((r) => String(r.sourced_id)));
    const unknown = wanted.filter((o) => !found.has(o));
    if (unknown.length) throw new RangeError(`unknown org${unknown.length > 1 ? 's' : ''} ${unknown.map((o) => JSON.stringify(o)).join(', ')}: import or seed the orgs first (clients are limited to existing orgs)`);
    return wanted;
  }

  /** Deletes the client; its tokens are refused from then on (see TokenGenerations for the delay). */
  async remove(clientId: string): Promise<boolean> {
    return (await this.em.fork().nativeDelete(OAuthClient, { clientId })) > 0;
  }

  /** New secret; the old one stops working at once and the generation bump revokes every token issued before. */
  async rotateSecret(clientId: string): Promise<{ client_id: string; client_secret: string } | null> {
    const secret = generateClientSecret();
    const signingSecret = (await this.secretBox()).seal(secret, clientId);
    const secretHash = await hashSecret(secret);
    const rows = await run(this.em.fork(), sql`update oauth_clients set secret_hash = ${secretHash}, signing_secret = ${signingSecret},
      token_generation = token_generation + 1 where client_id = ${clientId} returning client_id`);
    return rows.length > 0 ? { client_id: clientId, client_secret: secret } : null;
  }

  async count(): Promise<number> {
    return this.em.fork().count(OAuthClient, {});
  }
}
