import { IsIn, IsOptional, Max, Min } from "class-validator";
import { GraphQLJSON } from "graphql-scalars";
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, Field, FieldResolver, ID, InputType, Info, Int, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { ProvisioningLogEntry } from "../../domain/provisioning-log/provisioning-log-entry.entity";
import { AuditEventType } from "../audit/audit.graphql";
import type { GraphqlContext } from "../context";
import { Connection, listCursors, pageSize, selectedNodeFields, selectsTotalCount, toConnection } from "../shared/connection";

@ObjectType("ProvisioningLogEntry", { description: "One SCIM request, as an admin needs it to understand a provisioning cycle" })
export class ProvisioningLogEntryType {
  @Field(() => ID) id: string;
  @Field() occurredAt: Date;
  @Field() requestId: string;
  @Field(() => ID, { nullable: true }) tokenId: string | null;
  @Field({ description: "The credential's name and prefix" }) tokenLabel: string;
  @Field() method: string;
  @Field() path: string;
  @Field(() => Int) status: number;
  @Field(() => Int) durationMs: number;
  @Field(() => String, { nullable: true }) resourceType: string | null;
  @Field(() => ID, { nullable: true, description: "The resource the request was about; null for a /Bulk that touched several (each finds it with filter: { resourceId })" }) resourceId: string | null;
  @Field(() => [String], { description: "How the request was read: which IdP quirks applied" }) notes: string[];
  @Field(() => String, { nullable: true }) scimType: string | null;
  @Field(() => String, { nullable: true }) errorDetail: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: "The request body, secrets removed; null after the retention period" }) requestBody: unknown;
}

@ObjectType("ProvisioningLogConnection")
export class ProvisioningLogConnection extends Connection(ProvisioningLogEntryType, "ProvisioningLogEntry") {}

@InputType()
export class ProvisioningLogFilterInput {
  @Field({ nullable: true }) @IsOptional() since?: Date;
  @Field({ nullable: true }) @IsOptional() until?: Date;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(100) @Max(599) status?: number;
  @Field({ nullable: true, description: "Only requests that failed (status 400 and up)" }) @IsOptional() failedOnly?: boolean;
  @Field(() => ID, { nullable: true }) @IsOptional() tokenId?: string;
  @Field(() => ID, { nullable: true, description: "A resource's history: the requests about it, and every /Bulk that touched it" }) @IsOptional() resourceId?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIn(["GET", "POST", "PUT", "PATCH", "DELETE", "get", "post", "put", "patch", "delete"]) method?: string;
}

@Resolver(() => ProvisioningLogEntryType)
export class ProvisioningLogResolver {
  @Query(() => ProvisioningLogConnection, { description: "SCIM requests of the organisation, newest first" })
  async provisioningLog(
    @Ctx() ctx: GraphqlContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
    @Arg("filter", () => ProvisioningLogFilterInput, { nullable: true }) filter?: ProvisioningLogFilterInput | null,
  ) {
    // A page without the request bodies (the console's list) does not read them: a /Bulk body is megabytes.
    const bodies = selectedNodeFields(info).has("requestBody");
    const query = { ...filter };
    const cursors = await listCursors(ctx, "provisioningLog", query);
    const slice = await ctx.services.provisioningLog.list(ctx.auth(), query, { first: pageSize(first), afterKey: cursors.open(after) }, { count: selectsTotalCount(info), bodies });
    return toConnection(slice, cursors);
  }

  // The console's list leaves out the heavy fields (the body, the audit changes) and reads them here
  // when an entry's details are opened.
  @Query(() => ProvisioningLogEntryType, { nullable: true, description: "One entry of the provisioning log, by its id" })
  provisioningLogEntry(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<ProvisioningLogEntry | null> {
    return ctx.services.provisioningLog.find(ctx.auth(), id);
  }

  @FieldResolver(() => [AuditEventType], { description: "What the request changed: the audit events it caused, the newest 100 (a /Bulk causes up to thousands: auditEvents(filter: { requestId }) pages through them all)" })
  auditEvents(@Root() entry: ProvisioningLogEntry, @Ctx() ctx: GraphqlContext) {
    ctx.auth(); // admins only, as the log itself (the loaders serve any signed-in caller)
    return ctx.loaders().auditEventsOfRequest.get(entry.requestId);
  }
}
