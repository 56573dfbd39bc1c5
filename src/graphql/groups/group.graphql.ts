import { ArrayMaxSize, IsOptional, MaxLength, ValidateNested } from "class-validator";
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, ArgsType, Ctx, Extensions, Field, FieldResolver, ID, Info, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import type { Group } from "../../domain/groups/group.entity";
import type { GroupCriteria } from "../../domain/groups/group.query";
import { MAX_MEMBERS_PER_CHANGE, type Member, type MemberRef, TOO_MANY_MEMBERS as TOO_MANY_MEMBERS_MESSAGE, validateGroupChanges } from "../../domain/groups/group.service";
import type { User } from "../../domain/users/user.entity";
import type { GraphqlContext } from "../context";
import { Connection, listCursors, pageSize, selectsTotalCount, toConnection } from "../shared/connection";
import { checkedByDomain } from "../shared/input-validation";
import { SAME_TOTAL_COUNTED_ONCE, TOTAL_READ_WITH_PARENT } from "../shared/query-cost.plugin";
import { IsOptionalNotNull } from "../shared/validation";
import { MemberInput } from "../users/user.inputs";
import { UserType } from "../users/user.types";

@ObjectType("Group")
export class GroupType {
  @Field(() => ID)
  id: string;

  @Field()
  displayName: string;

  @Field(() => String, { nullable: true })
  externalId: string | null;

  @Field(() => Int)
  version: number;

  /** Its direct members (users and groups), kept on its row by every change of them: no COUNT. */
  @Field(() => Int)
  memberCount: number;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

@ObjectType("GroupMember")
export class GroupMemberType {
  @Field(() => ID)
  id: string;

  @Field({ description: "user or group" })
  type: string;

  @Field(() => String, { nullable: true })
  display: string | null;
}

@ObjectType("GroupConnection")
export class GroupConnection extends Connection(GroupType, "Group") {}

@ObjectType("GroupMemberConnection")
export class GroupMemberConnection extends Connection(GroupMemberType, "GroupMember") {}

@ObjectType("MembershipChange")
export class MembershipChangeType {
  @Field(() => GroupType)
  group: Group;

  @Field(() => [ID], { description: "Members that were not in the group before" })
  added: string[];

  @Field(() => [ID], { description: "Members that were in the group and are no longer" })
  removed: string[];
}

@InputType()
export class GroupFilterInput {
  @Field({ nullable: true }) @IsOptional() @MaxLength(255) text?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(255) displayName?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(255) externalId?: string;
  @Field(() => ID, { nullable: true, description: "Groups that directly contain this user or group" }) @IsOptional() memberId?: string;
}

// The name's and externalId's rules are the domain's (`validateGroupChanges`), as for SCIM.
@InputType()
export class UpdateGroupInput {
  @Field({ nullable: true }) @IsOptionalNotNull() displayName?: string;
  @Field(() => String, { nullable: true }) externalId?: string | null;
}

/** The domain's bound on members changed in one request, with its message. */
const TOO_MANY_MEMBERS = { message: TOO_MANY_MEMBERS_MESSAGE };

@InputType()
export class CreateGroupInput {
  @Field() displayName: string;
  @Field(() => String, { nullable: true }) externalId?: string | null;
  // Bounded before its items are checked; a bad item is named by its place (members.1.type), as addGroupMembers names it.
  @Field(() => [MemberInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_MEMBERS_PER_CHANGE, TOO_MANY_MEMBERS) @ValidateNested({ each: true }) members?: MemberInput[];
}

// A group's name and externalId are checked with the members' own checks (the members' existence needs reading).
checkedByDomain(UpdateGroupInput, { check: validateGroupChanges });
checkedByDomain(CreateGroupInput, { check: validateGroupChanges });

// The member lists are arguments of their own: as @Arg, type-graphql validated each item (20,000
// MemberInputs) before the domain's bound refused the list; as fields of an @ArgsType class, the bound
// is checked first (validation stops at a property's first error) and names the argument. The SDL is
// the same.
@ArgsType()
class AddGroupMembersArgs {
  @Field(() => ID) groupId: string;
  @Field(() => [MemberInput]) @ArrayMaxSize(MAX_MEMBERS_PER_CHANGE, TOO_MANY_MEMBERS) @ValidateNested({ each: true }) members: MemberInput[];
}

@ArgsType()
class RemoveGroupMembersArgs {
  @Field(() => ID) groupId: string;
  @Field(() => [ID]) @ArrayMaxSize(MAX_MEMBERS_PER_CHANGE, TOO_MANY_MEMBERS) memberIds: string[];
}

/** Member inputs → the domain's references: a type left out (or null) is none, see MemberRef. */
const memberRefsOf = (members: MemberInput[]): MemberRef[] => members.map((m) => (m.type ? { id: m.id, type: m.type } : { id: m.id }));

export function groupCriteria(filter?: GroupFilterInput | null): GroupCriteria {
  const items: GroupCriteria[] = [];
  if (filter?.text) items.push({ kind: "related", relation: { kind: "text", text: filter.text } });
  if (filter?.displayName != null) items.push({ kind: "compare", field: "displayName", op: "eq", value: filter.displayName });
  if (filter?.externalId != null) items.push({ kind: "compare", field: "externalId", op: "eq", value: filter.externalId });
  if (filter?.memberId != null) items.push({ kind: "related", relation: { kind: "hasMember", memberId: filter.memberId } });
  return { kind: "and", items };
}

@Resolver(() => GroupType)
export class GroupResolver {
  @Query(() => GroupConnection)
  // The same total twice in a request (aliases) is one count: RecentTotals shares the count under way.
  @Extensions({ [SAME_TOTAL_COUNTED_ONCE]: true })
  async groups(
    @Ctx() ctx: GraphqlContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
    @Arg("filter", () => GroupFilterInput, { nullable: true }) filter?: GroupFilterInput | null,
  ) {
    const criteria = groupCriteria(filter);
    const cursors = await listCursors(ctx, "groups", criteria);
    const slice = await ctx.services.groups.list(ctx.auth(), criteria, { first: pageSize(first), afterKey: cursors.open(after) }, { count: selectsTotalCount(info) });
    return toConnection(slice, cursors);
  }

  @Query(() => GroupType, { nullable: true })
  group(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<Group | null> {
    return ctx.services.groups.find(ctx.auth(), id);
  }

  @Mutation(() => GroupType)
  createGroup(@Arg("input") input: CreateGroupInput, @Ctx() ctx: GraphqlContext): Promise<Group> {
    return ctx.services.groups.create(ctx.auth(), { ...input, members: input.members && memberRefsOf(input.members) });
  }

  @Mutation(() => GroupType)
  updateGroup(
    @Arg("id", () => ID) id: string,
    @Arg("input") input: UpdateGroupInput,
    @Ctx() ctx: GraphqlContext,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<Group> {
    return ctx.services.groups.update(ctx.auth(), id, input, { expectedVersion: expectedVersion ?? undefined });
  }

  @Mutation(() => ID)
  async deleteGroup(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<string> {
    await ctx.services.groups.delete(ctx.auth(), id);
    return id;
  }

  @Mutation(() => MembershipChangeType)
  async addGroupMembers(@Args() { groupId, members }: AddGroupMembersArgs, @Ctx() ctx: GraphqlContext) {
    const auth = ctx.auth();
    const change = await ctx.services.groups.addMembers(auth, groupId, memberRefsOf(members));
    return { ...change, group: await ctx.services.groups.get(auth, groupId) };
  }

  @Mutation(() => MembershipChangeType)
  async removeGroupMembers(@Args() { groupId, memberIds }: RemoveGroupMembersArgs, @Ctx() ctx: GraphqlContext) {
    const auth = ctx.auth();
    const change = await ctx.services.groups.removeMembers(auth, groupId, memberIds);
    return { ...change, group: await ctx.services.groups.get(auth, groupId) };
  }

  // Its totalCount is the group's memberCount, read with the group's row: no COUNT (TOTAL_READ_WITH_PARENT).
  @FieldResolver(() => GroupMemberConnection)
  @Extensions({ [TOTAL_READ_WITH_PARENT]: true })
  async members(
    @Root() group: Group,
    @Ctx() ctx: GraphqlContext,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ) {
    const cursors = await listCursors(ctx, "groupMembers", { groupId: group.id });
    const slice = await ctx.services.groups.members(ctx.auth(), group, { first: pageSize(first), afterKey: cursors.open(after) });
    return toConnection(slice, cursors);
  }
}

@Resolver(() => GroupMemberType)
export class GroupMemberResolver {
  @FieldResolver(() => UserType, { nullable: true, description: "The member, when it is a user" })
  user(@Root() member: Member, @Ctx() ctx: GraphqlContext): User | null | Promise<User | null> {
    return member.type === "user" ? ctx.loaders().userById.get(member.id) : null;
  }

  @FieldResolver(() => GroupType, { nullable: true, description: "The member, when it is a group" })
  group(@Root() member: Member, @Ctx() ctx: GraphqlContext): Group | null | Promise<Group | null> {
    return member.type === "group" ? ctx.loaders().groupById.get(member.id) : null;
  }
}
