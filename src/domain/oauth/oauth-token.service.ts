import type { Database } from "../../platform/database";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import type { Organisation } from "../organisations/organisation.entity";
import type { AccessTokenIssuer, IssuedAccessToken, IssuedWith } from "./access-token.issuer";
import type { AssertionRefusal, FederatedAssertionVerifier } from "./federated-assertion.verifier";
import type { OAuthClientService } from "./oauth-client.service";
import type { OAuthClient } from "./oauth-client.entity";
import { type OAuthScope, isOAuthScope, scopeCovers } from "./oauth.settings";

/** How the client authenticated at the token endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2). */
export type ClientAuthentication =
  | { method: "client_secret_basic" | "client_secret_post"; clientId: string; secret: string }
  | { method: "client_assertion"; clientId: string; assertion: string };

export type TokenRefusalReason =
  | "unknown_client"
  | "revoked_client"
  | "wrong_secret"
  | "expired_secret"
  | "no_federated_credential"
  | "assertion_refused"
  | "unknown_scope"
  | "scope_not_allowed";

export type KnownClient = OAuthClient & { organisation: Organisation };

export type TokenGrant =
  | { ok: true; client: KnownClient; token: IssuedAccessToken }
  | { ok: false; reason: TokenRefusalReason; assertion?: AssertionRefusal; client: KnownClient | null };

export interface TokenRequest {
  auth: ClientAuthentication;
  /** The `scope` parameter, space-separated; absent: every scope the client holds. */
  scope?: string;
  requestId: string;
  /**
   * Runs once the client has proved who it is, before anything is issued (the adapter's per-client
   * rate limit: counting before, failed attempts by anyone who knows a client_id locked it out).
   * Throwing stops the grant.
   */
  onAuthenticated?: (client: KnownClient) => Promise<void>;
}

/** The client credentials grant (RFC 6749 §4.4): authenticate the client, settle the scope, sign, audit. */
export class OAuthTokenService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clients: OAuthClientService,
    private readonly issuer: AccessTokenIssuer,
    private readonly assertions: FederatedAssertionVerifier,
  ) {}

  async grant(request: TokenRequest): Promise<TokenGrant> {
    const { auth } = request;
    const client = await this.clients.findForAuthentication(auth.clientId);
    // An unknown client belongs to no organisation: the adapter logs it, there is no audit trail to write to.
    if (!client) return { ok: false, reason: "unknown_client", client: null };
    const refuse = async (reason: TokenRefusalReason, assertion?: AssertionRefusal): Promise<TokenGrant> => {
      await this.record(client, request, "oauth.token.refused", { reason: { before: null, after: assertion ? `${reason}: ${assertion}` : reason } });
      return { ok: false, reason, assertion, client };
    };
    if (client.revokedAt) return refuse("revoked_client");

    // The token records which credential it was issued with: removing that credential ends the token.
    let issuedWith: IssuedWith;
    if (auth.method === "client_assertion") {
      if (!client.federation) return refuse("no_federated_credential");
      const check = await this.assertions.verify(auth.assertion, client.federation);
      if (!check.ok) return refuse("assertion_refused", check.reason);
      issuedWith = { federation: client.federation };
    } else {
      const check = await this.clients.checkSecret(client, auth.secret);
      if (!check.ok) return refuse(check.reason);
      issuedWith = { secretId: check.secretId };
    }

    await request.onAuthenticated?.(client);
    const allowed = client.allowedScopes.split(" ").filter(isOAuthScope);
    const requested = (request.scope ?? "").split(" ").filter(Boolean);
    let granted: OAuthScope[];
    if (!requested.length) granted = allowed;
    else {
      if (!requested.every(isOAuthScope)) return refuse("unknown_scope");
      if (!requested.every((r) => allowed.some((a) => scopeCovers(a, r)))) return refuse("scope_not_allowed");
      granted = [...new Set(requested)];
    }
    const token = await this.issuer.issue(client, granted.join(" "), issuedWith);
    await this.record(client, request, "oauth.token.issued", {
      scope: { before: null, after: token.scope },
      jti: { before: null, after: token.jti },
      expiresIn: { before: null, after: token.expiresIn },
    });
    return { ok: true, client, token };
  }

  private async record(client: KnownClient, request: TokenRequest, action: string, changes: Record<string, { before: unknown; after: unknown }>): Promise<void> {
    const ctx: RequestContext = {
      organisationId: client.organisationId,
      actor: { type: "token", id: client.id, label: oauthClientLabel(client) },
      source: "oauth",
      requestId: request.requestId,
    };
    await this.db.transaction(ctx, (tx) =>
      this.audit.record(tx, { action, resourceType: "OAuthClient", resourceId: client.id, changes: { ...changes, authentication: { before: null, after: request.auth.method } } }),
    );
  }
}

/** How an OAuth client appears in the audit trail and the provisioning log: its name, and the start of its id. */
export const oauthClientLabel = (client: Pick<OAuthClient, "name" | "clientId">): string => `${client.name} (${client.clientId.slice(0, 12)}…)`;
