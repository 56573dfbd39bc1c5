import crypto from "node:crypto";
import { In, IsNull } from "typeorm";
import type { Database } from "../../platform/database";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import { Organisation } from "../organisations/organisation.entity";
import { DomainError, invalidInput, notFound } from "../shared/domain-error";
import { hashSecret } from "../tokens/token.service";
import { type FederatedCredential, OAuthClient } from "./oauth-client.entity";
import { OAuthClientSecret } from "./oauth-client-secret.entity";
import { type OAuthScope, type OAuthSettings, isOAuthScope, oauthScopes } from "./oauth.settings";
import { characterCount } from "../shared/text-length";
import { nonPublicTarget } from "../../platform/public-network";

const DAY_MS = 86_400_000;
/** A client secret lives between one and three years (a leap day included); two by default. */
export const MIN_SECRET_LIFETIME_MS = 365 * DAY_MS;
export const MAX_SECRET_LIFETIME_MS = 1096 * DAY_MS;
export const DEFAULT_SECRET_LIFETIME_MS = 730 * DAY_MS;

/** Entra's v2.0 issuer names its tenant: https://login.microsoftonline.com/<tenant id>/v2.0 */
const ENTRA_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([0-9a-f-]{36})\/v2\.0$/i;

export interface OAuthClientView {
  client: OAuthClient;
  /** Never the secret itself: its id, prefix and dates. */
  secrets: OAuthClientSecret[];
}

export interface IssuedClientSecret {
  secret: OAuthClientSecret;
  /** Shown once; only its SHA-256 is stored. */
  value: string;
}

/** A matching live secret names itself: the access token records which secret it was issued with. */
export type SecretCheck = { ok: true; secretId: string } | { ok: false; reason: "wrong_secret" | "expired_secret" };

/** A client as authentication sees it: with its organisation and, when asked for by id, that secret if it still exists. */
export type AuthenticatingClient = OAuthClient & { organisation: Organisation; secret?: OAuthClientSecret | null };

export interface FederatedCredentialInput {
  issuer: string;
  jwksUrl: string;
  subject: string;
  audience: string;
  tenantId?: string | null;
}

/** OAuth clients of the SCIM API: per organisation, several live secrets at once, or a federated credential. */
export class OAuthClientService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly settings: Pick<OAuthSettings, "allowHttpJwks">,
    /** ALLOW_PRIVATE_OUTBOUND_HOSTS (tests, development): a JWKS URL may name a loopback or private host. */
    private readonly allowPrivateHosts = false,
  ) {}

  /**
   * Called with a client's public id when tokens it holds must stop working (revoked, a secret or its
   * federated credential removed or replaced): before and after the commit, as a token's revocation.
   */
  readonly onCredentialsChanged: ((clientId: string) => void)[] = [];

  private async credentialsChanged(tx: RequestContext, clientId: string): Promise<void> {
    const notify = () => {
      for (const f of this.onCredentialsChanged) f(clientId);
    };
    notify();
    await this.db.afterCommit(tx, async () => notify());
  }

  async create(ctx: RequestContext, input: { name: string; scope?: OAuthScope; secretLifetimeMs?: number }): Promise<{ client: OAuthClient; secret: IssuedClientSecret }> {
    const name = input.name.trim();
    if (!name || characterCount(name) > 128) throw invalidInput("name", "the client name must be 1-128 characters");
    const scope = input.scope ?? "scim";
    if (!isOAuthScope(scope)) throw invalidInput("scope", `scope must be one of ${oauthScopes.join(", ")}`);
    const lifetime = secretLifetime(input.secretLifetimeMs);
    const client: OAuthClient = {
      id: newId(),
      organisationId: ctx.organisationId,
      clientId: `rcl_${crypto.randomBytes(16).toString("base64url")}`,
      name,
      allowedScopes: scope,
      federation: null,
      createdAt: new Date(),
      revokedAt: null,
    };
    return this.db.transaction(ctx, async (tx) => {
      await tx.manager.getRepository(OAuthClient).insert(client);
      await this.audit.record(tx, {
        action: "oauth_client.created",
        resourceType: "OAuthClient",
        resourceId: client.id,
        changes: { name: { before: null, after: name }, clientId: { before: null, after: client.clientId }, allowedScopes: { before: null, after: scope } },
      });
      const secret = await this.insertSecret(tx, client, lifetime);
      return { client, secret };
    });
  }

  async addSecret(ctx: RequestContext, clientId: string, input: { lifetimeMs?: number } = {}): Promise<IssuedClientSecret> {
    const lifetime = secretLifetime(input.lifetimeMs);
    return this.db.transaction(ctx, async (tx) => {
      const client = await this.liveClient(tx, clientId);
      return this.insertSecret(tx, client, lifetime);
    });
  }

  async removeSecret(ctx: RequestContext, clientId: string, secretId: string): Promise<OAuthClientView> {
    return this.db.transaction(ctx, async (tx) => {
      const client = await this.get(tx, clientId);
      const repo = tx.manager.getRepository(OAuthClientSecret);
      const secret = await repo.findOneBy({ id: secretId, clientRowId: client.id });
      if (!secret) throw notFound("OAuthClientSecret", secretId);
      await repo.delete({ id: secret.id });
      await this.credentialsChanged(tx, client.clientId);
      await this.audit.record(tx, { action: "oauth_client.secret_removed", resourceType: "OAuthClient", resourceId: client.id, changes: { secret: { before: secret.prefix, after: null } } });
      return this.view(tx, client);
    });
  }

  async revoke(ctx: RequestContext, clientId: string): Promise<OAuthClientView> {
    return this.db.transaction(ctx, async (tx) => {
      const client = await this.get(tx, clientId);
      if (!client.revokedAt) {
        client.revokedAt = new Date();
        await tx.manager.getRepository(OAuthClient).update({ id: client.id, revokedAt: IsNull() }, { revokedAt: client.revokedAt });
        await this.credentialsChanged(tx, client.clientId);
        await this.audit.record(tx, { action: "oauth_client.revoked", resourceType: "OAuthClient", resourceId: client.id, changes: { revokedAt: { before: null, after: client.revokedAt } } });
      }
      return this.view(tx, client);
    });
  }

  /** Registers (or, with null, removes) the Entra workload identity federation this client authenticates with. */
  async configureFederation(ctx: RequestContext, clientId: string, input: FederatedCredentialInput | null): Promise<OAuthClientView> {
    const federation = input ? await this.validFederation(input) : null;
    return this.db.transaction(ctx, async (tx) => {
      const client = await this.liveClient(tx, clientId);
      const before = client.federation;
      client.federation = federation;
      await tx.manager.getRepository(OAuthClient).update({ id: client.id }, { federation: federation as never });
      await this.credentialsChanged(tx, client.clientId);
      await this.audit.record(tx, {
        action: federation ? "oauth_client.federation_configured" : "oauth_client.federation_removed",
        resourceType: "OAuthClient",
        resourceId: client.id,
        changes: { federation: { before, after: federation } },
      });
      return this.view(tx, client);
    });
  }

  async list(ctx: RequestContext): Promise<OAuthClientView[]> {
    const manager = this.db.manager(ctx);
    const clients = await manager.getRepository(OAuthClient).find({ where: { organisationId: ctx.organisationId }, order: { createdAt: "DESC", id: "ASC" } });
    if (!clients.length) return [];
    const secrets = await manager.getRepository(OAuthClientSecret).find({ where: { clientRowId: In(clients.map((c) => c.id)) }, order: { createdAt: "ASC", id: "ASC" } });
    return clients.map((client) => ({ client, secrets: secrets.filter((s) => s.clientRowId === client.id) }));
  }

  async find(ctx: RequestContext, clientId: string): Promise<OAuthClientView> {
    const client = await this.get(ctx, clientId);
    return this.view(ctx, client);
  }

  /**
   * The lookup of the token endpoint and of an access token's check: any organisation's client by its
   * public id, with its organisation (never cached here; `AccessTokenIssuer` keeps its checks for
   * TOKEN_CACHE_SECONDS). Given a secret's id, whether it still exists comes in the same query
   * (`secret`, null once removed): no second round trip.
   */
  async findForAuthentication(clientId: string, secretId?: string): Promise<AuthenticatingClient | null> {
    if (!clientId || clientId.length > 64) return null;
    const query = this.db
      .manager()
      .getRepository(OAuthClient)
      .createQueryBuilder("c")
      .innerJoinAndMapOne("c.organisation", Organisation, "o", "o.id = c.organisationId")
      .where("c.clientId = :clientId", { clientId });
    if (secretId !== undefined) query.leftJoinAndMapOne("c.secret", OAuthClientSecret, "s", "s.clientRowId = c.id AND s.id = :secretId", { secretId });
    const client = ((await query.getMany())[0] as AuthenticatingClient | undefined) ?? null;
    if (client && secretId !== undefined) client.secret ??= null;
    return client;
  }

  /** Compares a presented secret with the client's live secrets, through its hash only. */
  async checkSecret(client: OAuthClient, presented: string, now = new Date()): Promise<SecretCheck> {
    const hash = hashSecret(presented);
    const secrets = await this.db.manager().getRepository(OAuthClientSecret).findBy({ clientRowId: client.id });
    const match = secrets.find((s) => crypto.timingSafeEqual(Buffer.from(s.secretHash, "hex"), Buffer.from(hash, "hex")));
    if (!match) return { ok: false, reason: "wrong_secret" };
    return match.expiresAt.getTime() <= now.getTime() ? { ok: false, reason: "expired_secret" } : { ok: true, secretId: match.id };
  }

  private async insertSecret(ctx: RequestContext, client: OAuthClient, lifetimeMs: number): Promise<IssuedClientSecret> {
    // 32 random bytes: guessing is hopeless, so a plain hashed comparison is safe against brute force.
    const value = `rcs_${crypto.randomBytes(32).toString("base64url")}`;
    const now = new Date();
    const secret: OAuthClientSecret = {
      id: newId(),
      clientRowId: client.id,
      secretHash: hashSecret(value),
      prefix: value.slice(0, 12),
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetimeMs),
    };
    await this.db.manager(ctx).getRepository(OAuthClientSecret).insert(secret);
    await this.audit.record(ctx, {
      action: "oauth_client.secret_added",
      resourceType: "OAuthClient",
      resourceId: client.id,
      changes: { secret: { before: null, after: secret.prefix }, expiresAt: { before: null, after: secret.expiresAt } },
    });
    return { secret, value };
  }

  private async get(ctx: RequestContext, clientId: string): Promise<OAuthClient> {
    const client = await this.db.manager(ctx).getRepository(OAuthClient).findOneBy({ clientId, organisationId: ctx.organisationId });
    if (!client) throw notFound("OAuthClient", clientId);
    return client;
  }

  private async liveClient(ctx: RequestContext, clientId: string): Promise<OAuthClient> {
    const client = await this.get(ctx, clientId);
    if (client.revokedAt) throw new DomainError("CONFLICT", `OAuth client ${JSON.stringify(clientId)} is revoked`, { resource: "OAuthClient", field: "clientId" });
    return client;
  }

  private async view(ctx: RequestContext, client: OAuthClient): Promise<OAuthClientView> {
    const secrets = await this.db.manager(ctx).getRepository(OAuthClientSecret).find({ where: { clientRowId: client.id }, order: { createdAt: "ASC", id: "ASC" } });
    return { client, secrets };
  }

  private async validFederation(input: FederatedCredentialInput): Promise<FederatedCredential> {
    const issuer = input.issuer.trim();
    const subject = input.subject.trim();
    const audience = input.audience.trim();
    if (!/^https:\/\/\S+$/.test(issuer) || characterCount(issuer) > 512) throw invalidInput("issuer", "the issuer must be an https:// URL, e.g. https://login.microsoftonline.com/<tenant id>/v2.0");
    let jwks: URL;
    try {
      jwks = new URL(input.jwksUrl.trim());
    } catch {
      throw invalidInput("jwksUrl", "the JWKS URL is not a URL");
    }
    const schemeOk = jwks.protocol === "https:" || (this.settings.allowHttpJwks && jwks.protocol === "http:");
    if (!schemeOk || characterCount(jwks.href) > 1024) throw invalidInput("jwksUrl", "the JWKS URL must be an https:// URL, e.g. https://login.microsoftonline.com/<tenant id>/discovery/v2.0/keys");
    // Roster fetches it from inside its own network: no loopback, metadata or private hosts (SSRF).
    // Checked again at every fetch, where it counts: a name can resolve elsewhere later.
    const privateHost = this.allowPrivateHosts ? null : await nonPublicTarget(jwks);
    if (privateHost) throw invalidInput("jwksUrl", `the JWKS URL must name a public host: ${privateHost} (loopback, link-local and private addresses are refused)`);
    if (!subject || characterCount(subject) > 255) throw invalidInput("subject", "the subject must be 1-255 characters");
    if (!audience || characterCount(audience) > 255) throw invalidInput("audience", "the audience must be 1-255 characters");
    // Entra's issuer names the tenant: the `tid` claim is then held to it even when not given separately.
    const tenantId = input.tenantId?.trim() || ENTRA_ISSUER.exec(issuer)?.[1] || null;
    if (tenantId && characterCount(tenantId) > 64) throw invalidInput("tenantId", "the tenant id must be at most 64 characters");
    return { issuer, jwksUrl: jwks.href, subject, audience, tenantId };
  }
}

function secretLifetime(ms: number | undefined): number {
  const lifetime = ms ?? DEFAULT_SECRET_LIFETIME_MS;
  if (!Number.isFinite(lifetime) || lifetime < MIN_SECRET_LIFETIME_MS || lifetime > MAX_SECRET_LIFETIME_MS) {
    throw invalidInput("expiresIn", "a client secret expires between one and three years after its creation");
  }
  return lifetime;
}
