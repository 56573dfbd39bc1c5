import { newRequestId } from "../platform/ids";
import { type RequestContext, systemActor } from "../platform/request-context";
import type { Services } from "../domain/services";
import { parseDuration } from "../domain/tokens/token.service";
import { type TokenScope, tokenScopes } from "../domain/tokens/access-token.entity";
import { conflict, notFound } from "../domain/shared/domain-error";
import { type CliCommand, type CliIo, CliUsageError, required } from "./cli-command";

const cliContext = () => ({ actor: { ...systemActor, label: "cli" }, source: "cli" as const, requestId: newRequestId() });

/**
 * The organisation named by --org, as the context the CLI acts in: by its id (as logs, the audit
 * trail and GraphQL give it), its slug, or a slug it gave up in a rename. A former slug is resolved,
 * not refused: it stays reserved to that organisation (its old SSO URLs still reach it), so it names
 * no other one, and an operator's scripts written before the rename keep working; stderr names the
 * current slug so that they can be updated. Once an operator releases it (`org release-slug`) it
 * names nobody. A slug may look like an id: when the argument is one organisation's slug and
 * another's id, it is refused naming both rather than guessed.
 */
export async function orgContext(services: Services, slugOrId: string, io: CliIo): Promise<RequestContext> {
  const [holder, byId] = await Promise.all([services.organisations.holdingSlug(slugOrId), services.organisations.findById(slugOrId.toLowerCase())]);
  if (holder && byId && holder.organisation.id !== byId.id) {
    const bySlug = holder.organisation;
    throw conflict(
      "Organisation",
      "org",
      `--org "${slugOrId}" is ${holder.former ? "a former" : "the"} slug of organisation ${bySlug.id} and the id of organisation "${byId.slug}": give ${bySlug.id} or "${byId.slug}" instead`,
    );
  }
  if (byId) return { ...cliContext(), organisationId: byId.id };
  if (!holder) throw notFound("Organisation", slugOrId);
  if (holder.former) io.err(`note: "${holder.slug}" is a former slug of this organisation, now "${holder.organisation.slug}"`);
  return { ...cliContext(), organisationId: holder.organisation.id };
}

const iso = (d: Date | null) => (d ? d.toISOString() : "-");

export const coreCommands: CliCommand[] = [
  {
    name: "migrate",
    usage: "migrate",
    summary: "apply the database's pending schema migrations (servers also apply them when they start; other commands refuse a database whose schema is behind)",
    options: [],
    upgradesSchema: true,
    async run(_opts, _services, io, opened) {
      for (const name of opened.migrationsApplied) io.out(`applied ${name}`);
      if (opened.migrationsApplied.length === 0) io.out("the schema is up to date");
    },
  },
  {
    name: "org create",
    usage: "org create --slug S --name N",
    summary: "create an organisation (with the built-in roles and the seed custom fields)",
    options: ["slug", "name"],
    async run(opts, services, io) {
      const org = await services.organisations.create(cliContext(), { slug: required(opts, "slug"), name: required(opts, "name") });
      io.out(`${org.id}\t${org.slug}\t${org.name}`);
    },
  },
  {
    name: "org list",
    usage: "org list",
    summary: "list organisations (id, slug, name, SCIM enabled)",
    options: [],
    async run(_opts, services, io) {
      for (const o of await services.organisations.list()) io.out(`${o.id}\t${o.slug}\t${o.name}\tscim=${o.scimEnabled ? "on" : "off"}`);
    },
  },
  {
    name: "org release-slug",
    usage: "org release-slug --slug S",
    summary: "release a slug an organisation gave up in a rename: its old sign-in URLs stop working, and another organisation may take it",
    options: ["slug"],
    async run(opts, services, io) {
      const { organisation, slug } = await services.organisations.releaseSlug(cliContext(), required(opts, "slug"));
      io.out(`released "${slug}", a former slug of organisation ${organisation.id} (now "${organisation.slug}")`);
      io.out(`sign-in URLs with "${slug}" no longer reach it (an identity provider still set up with them fails); another organisation may now take "${slug}"`);
    },
  },
  {
    name: "token create",
    usage: "token create --org S --scope scim|admin --name N [--expires-in 90d]",
    summary: "create a token; prints only the secret, once",
    options: ["org", "scope", "name", "expires-in"],
    async run(opts, services, io) {
      const scope = required(opts, "scope") as TokenScope;
      if (!tokenScopes.includes(scope)) throw new CliUsageError(`--scope must be one of ${tokenScopes.join(", ")}`);
      const expiresIn = typeof opts["expires-in"] === "string" ? parseDuration(opts["expires-in"]) : null;
      const ctx = await orgContext(services, required(opts, "org"), io);
      const issued = await services.tokens.create(ctx, { name: required(opts, "name"), scope, expiresAt: expiresIn === null ? null : new Date(Date.now() + expiresIn) });
      io.out(issued.secret);
    },
  },
  {
    name: "token list",
    usage: "token list --org S",
    summary: "list tokens (never their secrets)",
    options: ["org"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      io.out(["id", "name", "scope", "prefix", "created", "lastUsed", "expires", "revoked"].join("\t"));
      for (const t of await services.tokens.list(ctx))
        io.out([t.id, t.name, t.scope, `${t.prefix}…`, iso(t.createdAt), iso(t.lastUsedAt), iso(t.expiresAt), iso(t.revokedAt)].join("\t"));
    },
  },
  {
    name: "token revoke",
    usage: "token revoke --org S --id ID",
    summary: "revoke a token at once",
    options: ["org", "id"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      const t = await services.tokens.revoke(ctx, required(opts, "id"));
      io.out(`revoked ${t.id} (${t.name})`);
    },
  },
];
