import crypto from "node:crypto";
import { IsNull } from "typeorm";
import type { Database } from "../../platform/database";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import { invalidInput, notFound } from "../shared/domain-error";
import { Organisation } from "../organisations/organisation.entity";
import { AccessToken, type TokenScope, tokenScopes } from "./access-token.entity";

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

/** `--expires-in 90d` style durations: s, m, h, d, w, y. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdwy])$/.exec(text.trim());
  if (!m) throw invalidInput("expiresIn", `"${text}" is not a duration such as 30d, 12h or 1y`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }[m[2] as "s"];
  return Number(m[1]) * unit * 1000;
}

export class TokenService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async create(ctx: RequestContext, input: { name: string; scope: TokenScope; expiresAt?: Date | null }): Promise<IssuedToken> {
    const name = input.name.trim();
    if (!name || name.length > 128) throw invalidInput("name", "token name must be 1-128 characters");
    if (!tokenScopes.includes(input.scope)) throw invalidInput("scope", `scope must be one of ${tokenScopes.join(", ")}`);
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw invalidInput("expiresAt", "expiresAt must be in the future");
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
      await this.audit.record(tx, { action: "token.revoked", resourceType: "AccessToken", resourceId: token.id, changes: { revokedAt: { before: null, after: token.revokedAt } } });
      return token;
    });
  }

  /** Resolves a presented bearer secret. The secret is only ever compared through its hash. */
  async check(secret: string, scope: TokenScope): Promise<TokenCheck> {
    const rows = await this.db
      .manager()
      .getRepository(AccessToken)
      .createQueryBuilder("t")
      .innerJoinAndMapOne("t.organisation", Organisation, "o", "o.id = t.organisationId")
      .where("t.secretHash = :h", { h: hashSecret(secret) })
      .getMany();
    const token = rows[0] as (AccessToken & { organisation: Organisation }) | undefined;
    if (!token) return { ok: false, reason: "unknown" };
    if (token.revokedAt) return { ok: false, reason: "revoked", token };
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "expired", token };
    if (token.scope !== scope) return { ok: false, reason: "wrong_scope", token };
    const now = Date.now();
    if (!token.lastUsedAt || now - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      token.lastUsedAt = new Date(now);
      // Fire and forget: a lost lastUsedAt update must never fail the request it belongs to.
      this.db.manager().getRepository(AccessToken).update({ id: token.id }, { lastUsedAt: token.lastUsedAt }).catch(() => undefined);
    }
    return { ok: true, token, organisation: token.organisation };
  }
}
