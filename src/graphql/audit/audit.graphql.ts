import { IsIn, IsOptional, MaxLength, ValidateNested } from "class-validator";
import { GraphQLJSONObject } from "graphql-scalars";
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, Field, ID, InputType, Info, Int, ObjectType, Query, Resolver } from "type-graphql";
import type { Actor, ChangeSource } from "../../platform/request-context";
import type { GraphqlContext } from "../context";
import { Connection, listCursors, pageSize, selectsTotalCount, toConnection } from "../shared/connection";

const sources: ChangeSource[] = ["graphql", "scim", "sso", "cli", "system", "oauth"];
const actorTypes: Actor["type"][] = ["token", "user", "system"];

@ObjectType("AuditEvent")
export class AuditEventType {
  @Field(() => ID) id: string;
  @Field() occurredAt: Date;
  @Field({ description: "token, user or system" }) actorType: string;
  @Field(() => String, { nullable: true }) actorId: string | null;
  @Field() actorLabel: string;
  @Field({ description: "e.g. user.created, group.members.added" }) action: string;
  @Field() resourceType: string;
  @Field(() => String, { nullable: true }) resourceId: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: "Changed fields: { field: { before, after } }" }) changes: Record<string, unknown> | null;
  @Field({ description: "graphql, scim, sso, cli, system or oauth" }) source: string;
  @Field() requestId: string;
}

@ObjectType("AuditEventConnection")
export class AuditEventConnection extends Connection(AuditEventType, "AuditEvent") {}

@InputType({ description: "Who made the change, as events record it (actorType, actorId, actorLabel); each part given must match" })
export class AuditActorFilterInput {
  @Field(() => String, { nullable: true, description: "token, user or system" }) @IsOptional() @IsIn(actorTypes) type?: Actor["type"];
  @Field(() => ID, { nullable: true, description: "The token's or the user's id" }) @IsOptional() @MaxLength(36) id?: string;
  @Field({ nullable: true, description: "As events show it: a token's name and prefix, a user's userName (exact)" }) @IsOptional() @MaxLength(255) label?: string;
}

@InputType()
export class AuditEventFilterInput {
  @Field({ nullable: true }) @IsOptional() @MaxLength(64) action?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(32) resourceType?: string;
  @Field(() => ID, { nullable: true }) @IsOptional() resourceId?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIn(sources) source?: ChangeSource;
  @Field({ nullable: true }) @IsOptional() @MaxLength(64) requestId?: string;
  @Field(() => AuditActorFilterInput, { nullable: true }) @IsOptional() @ValidateNested() actor?: AuditActorFilterInput;
  @Field({ nullable: true }) @IsOptional() since?: Date;
  @Field({ nullable: true }) @IsOptional() until?: Date;
}

@Resolver(() => AuditEventType)
export class AuditEventResolver {
  @Query(() => AuditEventConnection, { description: "The audit trail, newest first" })
  async auditEvents(
    @Ctx() ctx: GraphqlContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
    @Arg("filter", () => AuditEventFilterInput, { nullable: true }) filter?: AuditEventFilterInput | null,
  ) {
    const query = { ...filter };
    const cursors = await listCursors(ctx, "auditEvents", query);
    const slice = await ctx.services.audit.list(ctx.auth(), query, { first: pageSize(first), afterKey: cursors.open(after) }, { count: selectsTotalCount(info) });
    return toConnection(slice, cursors);
  }
}
