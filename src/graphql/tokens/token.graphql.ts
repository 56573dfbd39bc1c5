import { IsIn, IsOptional, Length, Max, Min } from "class-validator";
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import { type AccessToken, type TokenScope, tokenScopes } from "../../domain/tokens/access-token.entity";
import type { GraphqlContext } from "../context";
import { MAX_TOKEN_LIFETIME_DAYS } from "../../domain/tokens/token.service";

@ObjectType("AccessToken", { description: "A bearer token; its secret is never readable after creation" })
export class AccessTokenType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({ description: "scim or admin" })
  scope: string;

  @Field({ description: "The first characters of the secret, to tell tokens apart" })
  prefix: string;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt: Date | null;
}

@ObjectType("CreatedAccessToken")
export class CreatedAccessTokenType {
  @Field(() => AccessTokenType)
  token: AccessToken;

  @Field({ description: "Shown once: store it now, it cannot be read again" })
  secret: string;
}

@InputType()
export class CreateAccessTokenInput {
  @Field() @Length(1, 128) name: string;
  @Field(() => String, { description: "scim or admin" }) @IsIn(tokenScopes) scope: TokenScope;
  @Field(() => Int, { nullable: true, description: "Days until it expires; none for a token that does not expire" })
  @IsOptional()
  @Min(1)
  @Max(MAX_TOKEN_LIFETIME_DAYS)
  expiresInDays?: number;
}

@Resolver(() => AccessTokenType)
export class AccessTokenResolver {
  @Query(() => [AccessTokenType])
  accessTokens(@Ctx() ctx: GraphqlContext): Promise<AccessToken[]> {
    return ctx.services.tokens.list(ctx.auth());
  }

  @Mutation(() => CreatedAccessTokenType)
  createAccessToken(@Arg("input") input: CreateAccessTokenInput, @Ctx() ctx: GraphqlContext) {
    const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86400_000) : null;
    return ctx.services.tokens.create(ctx.auth(), { name: input.name, scope: input.scope, expiresAt });
  }

  @Mutation(() => AccessTokenType)
  revokeAccessToken(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<AccessToken> {
    return ctx.services.tokens.revoke(ctx.auth(), id);
  }

  @FieldResolver(() => Boolean, { description: "Neither revoked nor expired" })
  active(@Root() token: AccessToken): boolean {
    return !token.revokedAt && (!token.expiresAt || token.expiresAt.getTime() > Date.now());
  }
}
