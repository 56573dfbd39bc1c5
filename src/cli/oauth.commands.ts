import { type OAuthScope, isOAuthScope, oauthScopes } from "../domain/oauth/oauth.settings";
import { parseDuration } from "../domain/tokens/token.service";
import { type CliCommand, CliUsageError, required } from "./cli-command";
import { orgContext } from "./core.commands";

const iso = (d: Date | null) => (d ? d.toISOString() : "-");
const lifetime = (opts: Record<string, string | boolean>) => (typeof opts["expires-in"] === "string" ? parseDuration(opts["expires-in"]) : undefined);

/** OAuth clients of the SCIM API (client credentials, Entra workload identity federation). */
export const oauthCommands: CliCommand[] = [
  {
    name: "oauth-client create",
    usage: "oauth-client create --org S --name N [--scope scim|scim:read] [--expires-in 2y]",
    summary: "create an OAuth client for SCIM; prints its client id and first secret (once)",
    options: ["org", "name", "scope", "expires-in"],
    async run(opts, services, io) {
      const scope = typeof opts.scope === "string" ? opts.scope : "scim";
      if (!isOAuthScope(scope)) throw new CliUsageError(`--scope must be one of ${oauthScopes.join(", ")}`);
      const ctx = await orgContext(services, required(opts, "org"), io);
      const { client, secret } = await services.oauthClients.create(ctx, { name: required(opts, "name"), scope: scope as OAuthScope, secretLifetimeMs: lifetime(opts) });
      io.out(`client_id\t${client.clientId}`);
      io.out(`client_secret\t${secret.value}`);
      io.out(`secret_expires\t${secret.secret.expiresAt.toISOString()}`);
    },
  },
  {
    name: "oauth-client secret add",
    usage: "oauth-client secret add --org S --client-id ID [--expires-in 2y]",
    summary: "add a client secret (1 to 3 years; default 2y); prints only the secret, once",
    options: ["org", "client-id", "expires-in"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      const issued = await services.oauthClients.addSecret(ctx, required(opts, "client-id"), { lifetimeMs: lifetime(opts) });
      io.out(issued.value);
    },
  },
  {
    name: "oauth-client secret remove",
    usage: "oauth-client secret remove --org S --client-id ID --secret-id SID",
    summary: "remove a client secret and end the tokens it obtained, at once (its id is in oauth-client list)",
    options: ["org", "client-id", "secret-id"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      const view = await services.oauthClients.removeSecret(ctx, required(opts, "client-id"), required(opts, "secret-id"));
      io.out(`removed secret ${opts["secret-id"]} of ${view.client.clientId} (${view.secrets.length} left)`);
    },
  },
  {
    name: "oauth-client list",
    usage: "oauth-client list --org S",
    summary: "list OAuth clients and their secrets (never the secrets themselves)",
    options: ["org"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      io.out(["clientId", "name", "scopes", "created", "revoked", "federation"].join("\t"));
      for (const { client, secrets } of await services.oauthClients.list(ctx)) {
        const federation = client.federation ? `${client.federation.issuer} sub=${client.federation.subject}` : "-";
        io.out([client.clientId, client.name, client.allowedScopes, iso(client.createdAt), iso(client.revokedAt), federation].join("\t"));
        for (const s of secrets) io.out(["  secret", s.id, `${s.prefix}…`, iso(s.createdAt), iso(s.expiresAt), s.expiresAt.getTime() <= Date.now() ? "expired" : "live"].join("\t"));
      }
    },
  },
  {
    name: "oauth-client federate",
    usage: "oauth-client federate --org S --client-id ID --issuer URL --jwks-url URL --subject SUB --audience AUD [--tenant-id TID]",
    summary: "let the client authenticate with an Entra-signed assertion (workload identity federation)",
    options: ["org", "client-id", "issuer", "jwks-url", "subject", "audience", "tenant-id"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      const view = await services.oauthClients.configureFederation(ctx, required(opts, "client-id"), {
        issuer: required(opts, "issuer"),
        jwksUrl: required(opts, "jwks-url"),
        subject: required(opts, "subject"),
        audience: required(opts, "audience"),
        tenantId: typeof opts["tenant-id"] === "string" ? opts["tenant-id"] : null,
      });
      const f = view.client.federation!;
      io.out(`federated ${view.client.clientId}: iss=${f.issuer} sub=${f.subject} aud=${f.audience} tid=${f.tenantId ?? "-"}`);
    },
  },
  {
    name: "oauth-client revoke",
    usage: "oauth-client revoke --org S --client-id ID",
    summary: "revoke an OAuth client: no new token, and its tokens stop working at once",
    options: ["org", "client-id"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      const view = await services.oauthClients.revoke(ctx, required(opts, "client-id"));
      io.out(`revoked ${view.client.clientId} (${view.client.name})`);
    },
  },
];
