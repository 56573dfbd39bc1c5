import crypto from "node:crypto";
import { IsNull } from "typeorm";
import { TrustedChecks } from "../shared/trusted-checks";
import type { Database } from "../../platform/database";
import { newId } from "../../platform/ids";
import type { ChangeSource, RequestContext } from "../../platform/request-context";
import { boolOf, dateOf, nullableDateOf } from "../../platform/row-values";
import type { AuditService } from "../audit/audit.service";
import { invalidInput, notFound } from "../shared/domain-error";
import { Organisation } from "../organisations/organisation.entity";
import { AccessToken, type TokenScope, tokenScopes } from "./access-token.entity";
import { characterCount } from "../shared/text-length";

export interface IssuedToken {
  token: AccessToken;
  /** Shown once; only its hash is stored. */
  secret: string;
}

export type TokenRefusal = "unknown" | "revoked" | "expired" | "wrong_scope";

export type TokenCheck =
  | { ok: true; token: AccessToken; organisation: Organisation }
  | { ok: false; reason: TokenRefusal; token?: AccessToken };

/** Writing lastUsedAt on every request would turn every read into a write: once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const hashSecret = (secret: string): string => crypto.createHash("sha256").update(secret, "utf8").digest("hex");

/** The longest expiry a token can be given (GraphQL's `expiresInDays` has the same bound). */
export const MAX_TOKEN_LIFETIME_DAYS = 3650;

/** `--expires-in 90d` style durations: s, m, h, d, w, y. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdwy])$/.exec(text.trim());
  if (!m) throw invalidInput("expiresIn", `"${text}" is not a duration such as 30d, 12h or 1y`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }[m[2] as "s"];
  return Number(m[1]) * unit * 1000;
}

/**
 * How long a checked token is trusted without reading it again. Every SCIM and GraphQL request
 * checks its token, and the read was a fifth of a lookup's cost. A revocation (or SCIM switched off)
 * through this process takes effect at once; through another instance, within this many ms.
 */
export const DEFAULT_TOKEN_CACHE_MS = 2_000;

type CheckedToken = AccessToken & { organisation: Organisation };

export class TokenService {
  private readonly checked: TrustedChecks<CheckedToken | undefined>;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    cacheMs = DEFAULT_TOKEN_CACHE_MS,
  ) {
    this.checked = new TrustedChecks(cacheMs);
  }

  /** Forgets cached checks of one token, or of every token of an organisation (its settings changed). */
  forget(match: { tokenId?: string; organisationId?: string }): void {
    this.checked.forget((token) => token?.id === match.tokenId || token?.organisationId === match.organisationId);
  }

  async create(ctx: RequestContext, input: { name: string; scope: TokenScope; expiresAt?: Date | null }): Promise<IssuedToken> {
    const name = input.name.trim();
    if (!name || characterCount(name) > 128) throw invalidInput("name", "token name must be 1-128 characters");
    if (!tokenScopes.includes(input.scope)) throw invalidInput("scope", `scope must be one of ${tokenScopes.join(", ")}`);
    // Written so that an invalid Date (NaN: `--expires-in 300000y`) fails: it was stored as NULL, no expiry.
    const expires = input.expiresAt ? input.expiresAt.getTime() : undefined;
    if (expires !== undefined && !(expires <= Date.now() + MAX_TOKEN_LIFETIME_DAYS * 86400_000))
      throw invalidInput("expiresAt", `a token expires within ${MAX_TOKEN_LIFETIME_DAYS} days; leave the expiry out for a token that does not expire`);
    if (expires !== undefined && !(expires > Date.now())) throw invalidInput("expiresAt", "expiresAt must be in the future");
    // 32 random bytes: guessing is hopeless, so a plain hashed lookup is safe against brute force.
    const secret = `rst_${input.scope}_${crypto.randomBytes(32).toString("base64url")}`;
    const token: AccessToken = {
      id: newId(),
      organisationId: ctx.organisationId,
      name,
      scope: input.scope,
      secretHash: hashSecret(secret),
      prefix: secret.slice(0, input.scope.length + 9),
      createdAt: new Date(),
      lastUsedAt: null,
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
    };
    await this.db.transaction(ctx, async (tx) => {
      await tx.manager.getRepository(AccessToken).insert(token);
      await this.audit.record(tx, {
        action: "token.created",
        resourceType: "AccessToken",
        resourceId: token.id,
        changes: { name: { before: null, after: name }, scope: { before: null, after: token.scope } },
      });
    });
    return { token, secret };
  }

  list(ctx: RequestContext): Promise<AccessToken[]> {
    return this.db.manager(ctx).getRepository(AccessToken).find({ where: { organisationId: ctx.organisationId }, order: { createdAt: "DESC", id: "ASC" } });
  }

  async revoke(ctx: RequestContext, id: string): Promise<AccessToken> {
    return this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(AccessToken);
      const token = await repo.findOneBy({ id, organisationId: tx.organisationId });
      if (!token) throw notFound("AccessToken", id);
      if (token.revokedAt) return token;
      token.revokedAt = new Date();
      await repo.update({ id: token.id, revokedAt: IsNull() }, { revokedAt: token.revokedAt });
      // Before and after the commit: no request in between may use the cached, unrevoked row.
      this.forget({ tokenId: token.id });
      await this.db.afterCommit(tx, async () => this.forget({ tokenId: token.id }));
      await this.audit.record(tx, { action: "token.revoked", resourceType: "AccessToken", resourceId: token.id, changes: { revokedAt: { before: null, after: token.revokedAt } } });
      return token;
    });
  }

  /**
   * Audits a refused token (revoked, expired, wrong scope) in its organisation's trail, so an admin
   * sees a stale or leaked secret being tried. Unknown secrets have no organisation: the adapter logs them.
   */
  async recordRefusal(refusal: { reason: TokenRefusal; token?: AccessToken }, via: { source: ChangeSource; requestId: string; ip: string }): Promise<void> {
    const token = refusal.token;
    if (!token) return;
    const ctx: RequestContext = { organisationId: token.organisationId, actor: { type: "token", id: token.id, label: `${token.name} (${token.prefix}…)` }, source: via.source, requestId: via.requestId };
    await this.db.transaction(ctx, (tx) =>
      this.audit.record(tx, {
        action: "token.refused",
        resourceType: "AccessToken",
        resourceId: token.id,
        changes: { reason: { before: null, after: refusal.reason }, ip: { before: null, after: via.ip.slice(0, 64) } },
      }),
    );
  }

  /** Resolves a presented bearer secret. The secret is only ever compared through its hash. */
  async check(secret: string, scope: TokenScope): Promise<TokenCheck> {
    const hash = hashSecret(secret);
    const token = await this.read(hash);
    if (!token) return { ok: false, reason: "unknown" };
    if (token.revokedAt) return { ok: false, reason: "revoked", token };
    if (token.expiresAt && !(token.expiresAt.getTime() > Date.now())) return { ok: false, reason: "expired", token };
    if (token.scope !== scope) return { ok: false, reason: "wrong_scope", token };
    const now = Date.now();
    if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      token.lastUsedAt = new Date(now);
      // Fire and forget: a lost lastUsedAt update must never fail the request it belongs to.
      this.db.manager().getRepository(AccessToken).update({ id: token.id }, { lastUsedAt: token.lastUsedAt }).catch(() => undefined);
    }
    return { ok: true, token, organisation: token.organisation };
  }

  /** The token of a secret's hash with its organisation, from the short-lived cache or the database. */
  private read(hash: string): Promise<CheckedToken | undefined> {
    return this.checked.remember(
      hash,
      async () => {
        // Plain SQL: this runs on every SCIM and GraphQL request the cache does not answer.
        const [row] = await this.db.rows(
          undefined,
          "SELECT t.*, o.slug AS orgSlug, o.name AS orgName, o.scimEnabled AS orgScimEnabled, o.rolesManagedBy AS orgRolesManagedBy, o.hasNestedGroups AS orgHasNestedGroups, o.version AS orgVersion, o.createdAt AS orgCreatedAt, o.updatedAt AS orgUpdatedAt FROM access_tokens t INNER JOIN organisations o ON o.id = t.organisationId WHERE t.secretHash = ?",
          [hash],
        );
        return row ? tokenFromRow(row) : undefined;
      },
      // Unknown secrets are never kept: guesses must not fill memory.
      (token) => (token ? Infinity : null),
    );
  }
}

function tokenFromRow(row: Record<string, unknown>): AccessToken & { organisation: Organisation } {
  return {
    id: String(row.id),
    organisationId: String(row.organisationId),
    name: String(row.name),
    scope: row.scope as TokenScope,
    secretHash: String(row.secretHash),
    prefix: String(row.prefix),
    createdAt: dateOf(row.createdAt),
    lastUsedAt: nullableDateOf(row.lastUsedAt),
    expiresAt: nullableDateOf(row.expiresAt),
    revokedAt: nullableDateOf(row.revokedAt),
    organisation: {
      id: String(row.organisationId),
      slug: String(row.orgSlug),
      name: String(row.orgName),
      scimEnabled: boolOf(row.orgScimEnabled),
      rolesManagedBy: row.orgRolesManagedBy as Organisation["rolesManagedBy"],
      hasNestedGroups: boolOf(row.orgHasNestedGroups),
      version: Number(row.orgVersion),
      createdAt: dateOf(row.orgCreatedAt),
      updatedAt: dateOf(row.orgUpdatedAt),
    },
  };
}
