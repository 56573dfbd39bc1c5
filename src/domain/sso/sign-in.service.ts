import type { Database } from "../../platform/database";
import { boolOf } from "../../platform/row-values";
import type { Actor, RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import type { FieldChange } from "../audit/audit-event.entity";
import type { RoleService } from "../roles/role.service";
import { DomainError } from "../shared/domain-error";
import { lowerCaseKey } from "../shared/normalise";
import { User } from "../users/user.entity";
import { TEXT_FIELDS, type UserService } from "../users/user.service";
import type { IdentityProvider, IdentityProviderKind } from "./identity-provider.entity";
import type { RefusalReason, VerifiedIdentity } from "./identity";

export type SignInResult =
  | { ok: true; user: User; roles: string[] }
  | { ok: false; reason: RefusalReason; message: string };

const note = (value: unknown): FieldChange => ({ before: null, after: value });

/** How a sign-in reached Roster: `formerSlug`, through the URLs of a slug the organisation gave up. */
export interface Via {
  formerSlug?: string;
}

/** What a session remembers of its sign-in, for the check on every request. */
export interface SignedInSession {
  organisationId: string;
  userId: string;
  protocol: IdentityProviderKind;
  /** The IdP configuration and its identity version at sign-in; absent in sessions from before they were recorded. */
  identityProviderId?: string;
  identityVersion?: string;
}

/** The user, active or not, when the IdP configuration the session signed in through is still the one configured (same identity). */
const SIGNED_IN_THROUGH =
  "SELECT u.userName AS userName, u.active AS active FROM users u " +
  "JOIN identity_providers i ON i.id = ? AND i.organisationId = u.organisationId AND i.identityVersion = ? WHERE u.id = ? AND u.organisationId = ?";
/**
 * The same for a session signed in before sessions recorded their IdP (only its protocol): the
 * organisation's IdP of that kind is still the one configured at the upgrade, whose migration gave it
 * its own id as identity version. One replaced since has another version, one made since too.
 */
const SIGNED_IN_BY_KIND =
  "SELECT u.userName AS userName, u.active AS active FROM users u " +
  "JOIN identity_providers i ON i.organisationId = u.organisationId AND i.kind = ? AND i.identityVersion = i.id WHERE u.id = ? AND u.organisationId = ?";

export const userActor = (user: { id: string; userName: string }): Actor => ({ type: "user", id: user.id, label: user.userName });

/**
 * Turns an identity the IdP vouched for into a provisioned, active user of the organisation (or
 * a refusal). Provisioning decides who may sign in; just-in-time creation is per organisation and
 * off by default. Every outcome is an audit event with source `sso`.
 */
export class SignInService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly users: UserService,
    private readonly roles: RoleService,
  ) {}

  /**
   * `ctx`: the organisation whose IdP verified the identity, source `sso`. `via.formerSlug`: the
   * sign-in came through the URLs of a slug the organisation gave up (its IdP still uses them); the
   * audit event says so, for the admin to know the IdP is still to be reconfigured.
   */
  async signIn(ctx: RequestContext, idp: IdentityProvider, identity: VerifiedIdentity, via: Via = {}): Promise<SignInResult> {
    const found = await this.match(ctx, idp, identity);
    if (found === "ambiguous") return this.refuse(ctx, idp, "ambiguous", "more than one user has this email address", { identifier: identity.identifier, ...via });
    let user = found;
    if (!user && idp.justInTimeProvisioning) {
      try {
        user = await this.createJustInTime(ctx, idp, identity);
      } catch (err) {
        // The identity cannot become a user (its name is taken, too long, an email is malformed): a
        // refusal like any other, in the audit trail, not a 500.
        if (!(err instanceof DomainError)) throw err;
        return this.refuse(ctx, idp, "provisioning_refused", `just-in-time provisioning refused: ${err.message}`, { identifier: identity.identifier, ...via });
      }
    }
    if (!user) return this.refuse(ctx, idp, "not_provisioned", await this.whyNotProvisioned(ctx, idp, identity), { identifier: identity.identifier, ...via });
    if (!user.active)
      return this.refuse(ctx, idp, "deactivated", "this account is deactivated in this organisation", { identifier: identity.identifier, userId: user.id, ...via });
    const roles = ((await this.roles.rolesOfUsers(ctx, [user.id])).get(user.id) ?? []).map((r) => r.name);
    const signedIn = user;
    await this.db.transaction({ ...ctx, actor: userActor(signedIn) }, (tx) =>
      this.audit.record(tx, {
        action: "sso.signed_in",
        resourceType: "User",
        resourceId: signedIn.id,
        changes: { protocol: note(idp.kind), identifier: note(identity.identifier), ...(via.formerSlug ? { formerSlug: note(via.formerSlug) } : {}) },
      }),
    );
    return { ok: true, user: signedIn, roles };
  }

  /** Records a refusal (also for responses that failed verification before any identity was known). */
  async refuse(
    ctx: RequestContext,
    idp: IdentityProvider | { kind: string; id?: string } | null,
    reason: RefusalReason,
    message: string,
    about: { identifier?: string; userId?: string } & Via = {},
  ): Promise<SignInResult> {
    await this.db.transaction(ctx, (tx) =>
      this.audit.record(tx, {
        action: "sso.refused",
        resourceType: "User",
        resourceId: about.userId ?? null,
        changes: {
          reason: note(reason),
          message: note(message.slice(0, 500)),
          ...(idp ? { protocol: note(idp.kind) } : {}),
          ...(about.identifier ? { identifier: note(about.identifier.slice(0, 255)) } : {}),
          ...(about.formerSlug ? { formerSlug: note(about.formerSlug) } : {}),
        },
      }),
    );
    return { ok: false, reason, message };
  }

  async signedOut(ctx: RequestContext, user: { id: string; userName: string }): Promise<void> {
    await this.db.transaction({ ...ctx, actor: userActor(user) }, (tx) => this.audit.record(tx, { action: "sso.signed_out", resourceType: "User", resourceId: user.id }));
  }

  /**
   * The session check on every request, one statement by primary keys: the user still exists and is
   * active, and the IdP configuration it signed in through is still there with the same identity
   * (not deleted, nor replaced with another IdP, by any instance; nor replaced while this sign-in was
   * in flight). The user's current userName, or null: the session is over.
   */
  async stillSignedIn(session: SignedInSession): Promise<{ userName: string } | null> {
    const [row] =
      session.identityProviderId && session.identityVersion
        ? await this.db.preparedRows(undefined, SIGNED_IN_THROUGH, [session.identityProviderId, session.identityVersion, session.userId, session.organisationId])
        : await this.db.preparedRows(undefined, SIGNED_IN_BY_KIND, [session.protocol, session.userId, session.organisationId]);
    return row && boolOf(row.active) ? { userName: String(row.userName) } : null;
  }

  private async match(ctx: RequestContext, idp: IdentityProvider, identity: VerifiedIdentity): Promise<User | null | "ambiguous"> {
    const repo = this.db.manager(ctx).getRepository(User);
    switch (idp.settings.matchBy) {
      case "userName":
        return this.users.findByUserName(ctx, identity.identifier);
      case "externalId":
        return repo.findOneBy({ organisationId: ctx.organisationId, externalIdKey: lowerCaseKey(identity.identifier) });
      case "email": {
        const { items } = await this.users.search(
          ctx,
          { kind: "related", relation: { kind: "contact", contact: "email", where: { kind: "compare", field: "value", op: "eq", value: identity.identifier } } },
          { offset: 0, limit: 2 },
        );
        return items.length > 1 ? "ambiguous" : (items[0] ?? null);
      }
      default:
        throw new DomainError("INVALID_INPUT", `unknown matchBy ${String(idp.settings.matchBy)}`);
    }
  }

  /**
   * The refusal's message for the audit trail. Matched by externalId (Entra's `oid`), a user whose
   * userName is the token's preferred_username/upn but whose externalId is something else was
   * provisioned with Entra's default SCIM mapping (externalId ← mailNickname): say so, and what to
   * change. Only a hint for the admin: the user is never signed in by that mutable claim.
   */
  private async whyNotProvisioned(ctx: RequestContext, idp: IdentityProvider, identity: VerifiedIdentity): Promise<string> {
    const generic = "this account is not provisioned in this organisation";
    if (idp.settings.matchBy !== "externalId" || !identity.userNameHint) return generic;
    const namesake = await this.users.findByUserName(ctx, identity.userNameHint);
    if (!namesake) return `${generic}: no user has externalId ${identity.identifier}, nor userName ${identity.userNameHint}`;
    return (
      `no user has externalId ${identity.identifier}; user ${namesake.userName} has externalId ${namesake.externalId ?? "(none)"}. ` +
      `Entra's default SCIM mapping sends mailNickname as externalId: map objectId to externalId in the provisioning attribute mappings ` +
      `(Entra re-sends every user), or match by userName (claim preferred_username)`
    );
  }

  private async createJustInTime(ctx: RequestContext, idp: IdentityProvider, identity: VerifiedIdentity): Promise<User | null> {
    const byExternalId = idp.settings.matchBy === "externalId";
    const userName = byExternalId ? identity.userNameHint : identity.identifier;
    if (!userName) return null;
    return this.users.create(ctx, {
      userName,
      externalId: byExternalId ? identity.identifier : undefined,
      // Names are shown, not matched: cut to their columns' sizes rather than refuse the sign-in.
      displayName: fit(identity.displayName ?? [identity.givenName, identity.familyName].filter(Boolean).join(" "), TEXT_FIELDS.displayName),
      givenName: fit(identity.givenName, TEXT_FIELDS.givenName),
      familyName: fit(identity.familyName, TEXT_FIELDS.familyName),
      emails: identity.email ? [{ value: identity.email, type: "work", primary: true }] : undefined,
    });
  }
}

/** `text` cut to `max` characters (code points), or undefined when there is none. */
function fit(text: string | null, max: number): string | undefined {
  if (!text) return undefined;
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join("").trimEnd() : text;
}
