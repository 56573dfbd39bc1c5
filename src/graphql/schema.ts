import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { AuditEventResolver } from "./audit/audit.graphql";
import { CustomFieldResolver } from "./custom-fields/custom-field.graphql";
import { GroupMemberResolver, GroupResolver } from "./groups/group.graphql";
import { OrganisationResolver } from "./organisations/organisation.graphql";
import { ProvisioningLogResolver } from "./provisioning-log/provisioning-log.graphql";
import { RoleResolver } from "./roles/role.graphql";
import { AccessTokenResolver } from "./tokens/token.graphql";
import { UserResolver } from "./users/user.resolver";
import { IdentityProviderResolver, MeResolver } from "./sso/sso.graphql";
import { OAuthClientResolver } from "./oauth/oauth.graphql";

export const resolvers = [
  OrganisationResolver,
  UserResolver,
  GroupResolver,
  GroupMemberResolver,
  RoleResolver,
  CustomFieldResolver,
  AccessTokenResolver,
  AuditEventResolver,
  IdentityProviderResolver,
  MeResolver,
  ProvisioningLogResolver,
  OAuthClientResolver,
] as const;

export const SCHEMA_FILE = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../../../schema/schema.graphql" : "../../schema/schema.graphql");

/** Builds the schema; `emit` writes the SDL that is checked in (a test fails when it is stale). */
export function buildGraphqlSchema(options: { emit?: boolean } = {}): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    validate: { forbidUnknownValues: false },
    emitSchemaFile: options.emit ? { path: SCHEMA_FILE, sortedSchema: true } : false,
  });
}
