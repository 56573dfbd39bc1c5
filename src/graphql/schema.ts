import path from "node:path";
import { type GraphQLFieldResolver, GraphQLObjectType, type GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { AuditEventResolver } from "./audit/audit.graphql";
import { CustomFieldResolver } from "./custom-fields/custom-field.graphql";
import { GroupMemberResolver, GroupResolver } from "./groups/group.graphql";
import { OrganisationResolver } from "./organisations/organisation.graphql";
import { ProvisioningLogResolver } from "./provisioning-log/provisioning-log.graphql";
import { RoleResolver } from "./roles/role.graphql";
import { AccessTokenResolver } from "./tokens/token.graphql";
import { UserResolver, groupRefFieldResolvers, userFieldResolvers } from "./users/user.resolver";
import type { GraphqlContext } from "./context";
import { retryingDeadlocks } from "../platform/database";
import { validateArgument } from "./shared/input-validation";
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
export async function buildGraphqlSchema(options: { emit?: boolean } = {}): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    // The inputs' own checks, and when they fail the domain's rules on the rest of the input (validateArgument).
    validateFn: validateArgument,
    emitSchemaFile: options.emit ? { path: SCHEMA_FILE, sortedSchema: true } : false,
  });
  installDirectResolvers(schema, "User", userFieldResolvers);
  installDirectResolvers(schema, "GroupRef", groupRefFieldResolvers);
  startMutationsWithFreshLoaders(schema);
  return schema;
}

/**
 * The fields of a mutation document run one after another, each with its whole selection; each starts
 * with empty loaders, so that its selection shows what the fields before it wrote (a user's manager,
 * roles or custom values, a group's memberCount) instead of what they had loaded. A mutation whose
 * transaction lost a deadlock runs again (`retryingDeadlocks`; resolvers never change their arguments)
 * before the caller sees SERVICE_UNAVAILABLE.
 */
function startMutationsWithFreshLoaders(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve;
    if (!resolve) continue;
    field.resolve = (root, args, ctx: GraphqlContext, info) =>
      retryingDeadlocks(async () => {
        ctx.forgetLoaded();
        return resolve(root, args, ctx, info);
      });
  }
}

/**
 * Replaces type-graphql's wrappers of a type's field resolvers with the plain functions they call
 * (see userFieldResolvers). Nothing here uses what the wrappers add: no middlewares, no auth checker.
 */
export function installDirectResolvers<T>(schema: GraphQLSchema, typeName: string, resolve: Record<string, (root: T, ctx: GraphqlContext, args: Record<string, unknown>) => unknown>): void {
  const type = schema.getType(typeName);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`no object type ${typeName} in the schema`);
  const fields = type.getFields();
  for (const [name, fn] of Object.entries(resolve)) {
    if (!fields[name]) throw new Error(`no field ${typeName}.${name} in the schema`);
    fields[name].resolve = ((root: T, args: Record<string, unknown>, ctx: GraphqlContext) => fn(root, ctx, args)) as GraphQLFieldResolver<T, GraphqlContext>;
  }
}
