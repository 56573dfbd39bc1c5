import { IsIn, IsOptional, Length, Max, Min } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import type { OAuthClientSecret } from "../../domain/oauth/oauth-client-secret.entity";
import type { FederatedCredential } from "../../domain/oauth/oauth-client.entity";
import type { OAuthClientView } from "../../domain/oauth/oauth-client.service";
import { type OAuthScope, oauthEndpoints, oauthScopes } from "../../domain/oauth/oauth.settings";
import type { GraphqlContext } from "../context";

const DAY_MS = 86_400_000;

@ObjectType("OAuthClientSecret", { description: "A client secret; the secret itself is shown once, at creation, and never again" })
export class OAuthClientSecretType {
  @Field(() => ID) id: string;
  @Field({ description: "The first characters of the secret, to tell secrets apart" }) prefix: string;
  @Field() createdAt: Date;
  @Field() expiresAt: Date;
  @Field({ description: "An expired secret never gets a token" }) expired: boolean;
}

@ObjectType("FederatedCredential", { description: "Entra workload identity federation: the assertion the client presents instead of a secret" })
export class FederatedCredentialType {
  @Field({ description: "e.g. https://login.microsoftonline.com/<tenant id>/v2.0" }) issuer: string;
  @Field({ description: "Where the issuer's signing keys are published" }) jwksUrl: string;
  @Field({ description: "The `sub` claim the assertion must carry" }) subject: string;
  @Field({ description: "The `aud` claim the assertion must carry" }) audience: string;
  @Field(() => String, { nullable: true, description: "The `tid` claim must equal it (taken from an Entra issuer when not given)" }) tenantId: string | null;
}

@ObjectType("OAuthClient", { description: "An OAuth 2.0 client of the SCIM API (client credentials or workload identity federation)" })
export class OAuthClientType {
  @Field(() => ID) id: string;
  @Field({ description: "The client_id the identity provider is configured with" }) clientId: string;
  @Field() name: string;
  @Field(() => [String], { description: "scim (read and write) or scim:read (GET and searches only)" }) scopes: string[];
  @Field(() => FederatedCredentialType, { nullable: true }) federation: FederatedCredential | null;
  @Field(() => [OAuthClientSecretType]) secrets: OAuthClientSecretType[];
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) revokedAt: Date | null;
  @Field({ description: "Not revoked" }) active: boolean;
}

@ObjectType("CreatedOAuthClient")
export class CreatedOAuthClientType {
  @Field(() => OAuthClientType) client: OAuthClientType;
  @Field({ description: "The first client secret. Shown once: store it now, it cannot be read again" }) clientSecret: string;
}

@ObjectType("AddedOAuthClientSecret")
export class AddedOAuthClientSecretType {
  @Field(() => OAuthClientSecretType) secret: OAuthClientSecretType;
  @Field({ description: "Shown once: store it now, it cannot be read again" }) value: string;
}

@ObjectType("OAuthEndpoints", { description: "What an identity provider is configured with to get SCIM access tokens from Roster" })
export class OAuthEndpointsType {
  @Field({ description: "iss of Roster's access tokens" }) issuer: string;
  @Field({ description: "Token URL (client credentials, RFC 6749 §4.4)" }) tokenUrl: string;
  @Field({ description: "Roster's public signing keys (JWKS)" }) jwksUrl: string;
  @Field({ description: "Authorization server metadata (RFC 8414)" }) metadataUrl: string;
  @Field({ description: "SCIM base URL: the audience of the access tokens" }) scimUrl: string;
}

@InputType()
export class CreateOAuthClientInput {
  @Field() @Length(1, 128) name: string;
  @Field(() => String, { nullable: true, description: "scim (default) or scim:read" }) @IsOptional() @IsIn(oauthScopes) scope?: OAuthScope;
  @Field(() => Int, { nullable: true, description: "Days until the first secret expires: 365 to 1096 (default 730)" })
  @IsOptional()
  @Min(365)
  @Max(1096)
  secretExpiresInDays?: number;
}

@InputType()
export class FederatedCredentialInput {
  @Field({ description: "e.g. https://login.microsoftonline.com/<tenant id>/v2.0" }) @Length(1, 512) issuer: string;
  @Field({ description: "e.g. https://login.microsoftonline.com/<tenant id>/discovery/v2.0/keys" }) @Length(1, 1024) jwksUrl: string;
  @Field() @Length(1, 255) subject: string;
  @Field() @Length(1, 255) audience: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 64) tenantId?: string | null;
}

const secretType = (s: OAuthClientSecret): OAuthClientSecretType => ({ id: s.id, prefix: s.prefix, createdAt: s.createdAt, expiresAt: s.expiresAt, expired: s.expiresAt.getTime() <= Date.now() });

const clientType = ({ client, secrets }: OAuthClientView): OAuthClientType => ({
  id: client.id,
  clientId: client.clientId,
  name: client.name,
  scopes: client.allowedScopes.split(" ").filter(Boolean),
  federation: client.federation,
  secrets: secrets.map(secretType),
  createdAt: client.createdAt,
  revokedAt: client.revokedAt,
  active: !client.revokedAt,
});

/** Admin management of the SCIM API's OAuth clients; secrets are returned once and never listed. */
@Resolver(() => OAuthClientType)
export class OAuthClientResolver {
  @Query(() => [OAuthClientType])
  async oauthClients(@Ctx() ctx: GraphqlContext): Promise<OAuthClientType[]> {
    return (await ctx.services.oauthClients.list(ctx.auth())).map(clientType);
  }

  @Query(() => OAuthEndpointsType)
  oauthEndpoints(@Ctx() ctx: GraphqlContext): OAuthEndpointsType {
    ctx.auth();
    return oauthEndpoints(ctx.publicUrl);
  }

  @Mutation(() => CreatedOAuthClientType)
  async createOAuthClient(@Arg("input") input: CreateOAuthClientInput, @Ctx() ctx: GraphqlContext): Promise<CreatedOAuthClientType> {
    const rc = ctx.auth();
    const { client, secret } = await ctx.services.oauthClients.create(rc, {
      name: input.name,
      scope: input.scope ?? undefined,
      secretLifetimeMs: input.secretExpiresInDays ? input.secretExpiresInDays * DAY_MS : undefined,
    });
    return { client: clientType({ client, secrets: [secret.secret] }), clientSecret: secret.value };
  }

  @Mutation(() => AddedOAuthClientSecretType)
  async addOAuthClientSecret(
    @Arg("clientId") clientId: string,
    @Arg("expiresInDays", () => Int, { nullable: true, description: "365 to 1096 (default 730)" }) expiresInDays: number | null,
    @Ctx() ctx: GraphqlContext,
  ): Promise<AddedOAuthClientSecretType> {
    const issued = await ctx.services.oauthClients.addSecret(ctx.auth(), clientId, { lifetimeMs: expiresInDays ? expiresInDays * DAY_MS : undefined });
    return { secret: secretType(issued.secret), value: issued.value };
  }

  @Mutation(() => OAuthClientType, { description: "Removes a secret: no new token with it, and the tokens obtained with it stop working at once" })
  async removeOAuthClientSecret(@Arg("clientId") clientId: string, @Arg("secretId", () => ID) secretId: string, @Ctx() ctx: GraphqlContext): Promise<OAuthClientType> {
    return clientType(await ctx.services.oauthClients.removeSecret(ctx.auth(), clientId, secretId));
  }

  @Mutation(() => OAuthClientType, { description: "Revokes the client: no new token, and its outstanding tokens stop working at once" })
  async revokeOAuthClient(@Arg("clientId") clientId: string, @Ctx() ctx: GraphqlContext): Promise<OAuthClientType> {
    return clientType(await ctx.services.oauthClients.revoke(ctx.auth(), clientId));
  }

  @Mutation(() => OAuthClientType, { description: "Registers the federated credential; replacing one ends the tokens the old one obtained" })
  async configureFederatedCredential(@Arg("clientId") clientId: string, @Arg("input") input: FederatedCredentialInput, @Ctx() ctx: GraphqlContext): Promise<OAuthClientType> {
    return clientType(await ctx.services.oauthClients.configureFederation(ctx.auth(), clientId, input));
  }

  @Mutation(() => OAuthClientType, { description: "Removes the federated credential; the tokens it obtained stop working at once" })
  async removeFederatedCredential(@Arg("clientId") clientId: string, @Ctx() ctx: GraphqlContext): Promise<OAuthClientType> {
    return clientType(await ctx.services.oauthClients.configureFederation(ctx.auth(), clientId, null));
  }
}
