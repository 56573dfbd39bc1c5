import { GraphQLJSONObject } from "graphql-scalars";
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, Extensions, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { PostalAddress, User } from "../../domain/users/user.entity";
import { type UserChanges, type UserColumn, type UserDetails, validateChanges } from "../../domain/users/user.service";
import type { DetailParts } from "../../domain/users/user-details.sql";
import type { UserCriteria } from "../../domain/users/user.query";
import type { GraphqlContext } from "../context";
import { listCursors, pageSize, selectedNodeArguments, selectedNodeFields, selectedNodeSubfields, selectsTotalCount, toConnection } from "../shared/connection";
import { SAME_TOTAL_COUNTED_ONCE, TOTALS_COUNTED_TOGETHER } from "../shared/query-cost.plugin";
import { RoleType } from "../roles/role.graphql";
import { checkedByDomain, namedAsInput } from "../shared/input-validation";
import { CreateUserInput, UpdateUserInput, UserFilterInput, type UserNameInput, UserRolesArgs } from "./user.inputs";
import { AddressType, ContactValueType, GroupRefType, UserConnection, UserNameType, UserType } from "./user.types";

/** GraphQL input → the domain's one patch shape (nested name parts become flat fields). */
export function toUserChanges(input: UpdateUserInput): UserChanges {
  const { name, ...rest } = input;
  const changes: UserChanges = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) (changes as Record<string, unknown>)[key] = value;
  if (name === null) {
    Object.assign(changes, { nameFormatted: null, givenName: null, familyName: null, middleName: null, honorificPrefix: null, honorificSuffix: null });
  } else if (name) {
    const parts = { nameFormatted: name.formatted, givenName: name.givenName, familyName: name.familyName, middleName: name.middleName, honorificPrefix: name.honorificPrefix, honorificSuffix: name.honorificSuffix };
    for (const [key, value] of Object.entries(parts)) if (value !== undefined) (changes as Record<string, unknown>)[key] = value;
  }
  return changes;
}

/** The input's name of a user field as the domain names it: `nameFormatted` is `name.formatted`, `emails[1].value` is `emails.1.value`. */
export function userInputField(field: string): string {
  return Object.hasOwn(NAME_PARTS, field) ? `name.${NAME_PARTS[field]}` : field.replace(/\[(\d+)\]/g, ".$1");
}

const NAME_PARTS: Record<string, keyof UserNameInput> = {
  nameFormatted: "formatted",
  givenName: "givenName",
  familyName: "familyName",
  middleName: "middleName",
  honorificPrefix: "honorificPrefix",
  honorificSuffix: "honorificSuffix",
};

// The domain's rules of a user's fields, also when the input's own checks fail (custom field values,
// roles and the manager need reading: they are checked by the write).
checkedByDomain(UpdateUserInput, { check: (input) => validateChanges(toUserChanges(input)), field: userInputField });

export function userCriteria(filter?: UserFilterInput | null): UserCriteria {
  const items: UserCriteria[] = [];
  if (filter?.text) items.push({ kind: "related", relation: { kind: "text", text: filter.text } });
  if (filter?.userName != null) items.push({ kind: "compare", field: "userName", op: "eq", value: filter.userName });
  if (filter?.externalId != null) items.push({ kind: "compare", field: "externalId", op: "eq", value: filter.externalId });
  if (filter?.active !== undefined && filter?.active !== null) items.push({ kind: "compare", field: "active", op: "eq", value: filter.active });
  if (filter?.groupId != null) items.push({ kind: "related", relation: { kind: "memberOf", groupId: filter.groupId } });
  if (filter?.role != null) items.push({ kind: "related", relation: { kind: "hasRole", role: filter.role } });
  if (filter?.managerId != null) items.push({ kind: "compare", field: "managerId", op: "eq", value: filter.managerId });
  for (const field of ["department", "division", "costCenter", "organization"] as const) {
    const value = filter?.[field];
    if (value != null) items.push({ kind: "compare", field, op: "eq", value });
  }
  const custom = filter?.customField;
  if (custom) items.push({ kind: "related", relation: { kind: "customFieldValue", key: custom.name, value: custom.value, input: "filter.customField" } });
  return { kind: "and", items };
}

/** `fn` of a value that may still be on its way (without a promise when it is already there). */
function mapValue<T, R>(value: T | Promise<T>, fn: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * The parts of users' details that a page's selected node fields need. Direct groups only where the
 * page selects `groups` without `includeIndirect: true`; `indirectGroups` where it selects it with.
 */
function detailPartsOf(fields: Set<string>, info: GraphQLResolveInfo): DetailParts & { indirectGroups: boolean } {
  const includeIndirect = fields.has("groups") ? selectedNodeArguments(info, "groups", "includeIndirect") : [];
  return {
    contacts: fields.has("emails") || fields.has("phoneNumbers"),
    roles: fields.has("roles"),
    customFields: fields.has("customFields"),
    groups: includeIndirect.some((v) => v !== true),
    indirectGroups: includeIndirect.some((v) => v === true),
  };
}

/** The users columns each stored field of the User type shows (typed: a new field cannot be left out). */
const STORED_FIELD_COLUMNS = {
  id: [],
  userName: [],
  externalId: ["externalId"],
  active: ["active"],
  displayName: ["displayName"],
  nickName: ["nickName"],
  title: ["title"],
  userType: ["userType"],
  preferredLanguage: ["preferredLanguage"],
  locale: ["locale"],
  timezone: ["timezone"],
  profileUrl: ["profileUrl"],
  employeeNumber: ["employeeNumber"],
  costCenter: ["costCenter"],
  organization: ["organization"],
  division: ["division"],
  department: ["department"],
  addresses: ["addresses"],
  version: [],
  createdAt: ["createdAt"],
  updatedAt: ["updatedAt"],
  customFields: [],
} satisfies Record<keyof UserType, readonly UserColumn[]>;

/** The users columns the User type's field resolvers read from the row (relations come from loaders). */
const RESOLVED_FIELD_COLUMNS: Record<string, readonly UserColumn[]> = {
  __typename: [],
  name: ["nameFormatted", "givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix"],
  emails: [],
  phoneNumbers: [],
  roles: [],
  groups: [],
  manager: [],
  directReports: [],
};

/** Every field of the User type and the columns it reads (a spec checks it against the schema). */
export const USER_FIELD_COLUMNS: Readonly<Record<string, readonly UserColumn[]>> = { ...STORED_FIELD_COLUMNS, ...RESOLVED_FIELD_COLUMNS };

/** The columns a page's selected node fields read; every column (undefined) when one is not known. */
export function userColumnsOf(fields: Set<string>): UserColumn[] | undefined {
  const columns: UserColumn[] = [];
  for (const field of fields) {
    const read = Object.hasOwn(USER_FIELD_COLUMNS, field) ? USER_FIELD_COLUMNS[field] : undefined;
    if (!read) return undefined;
    columns.push(...read);
  }
  return columns;
}

/**
 * Loads the relations a page's nodes select in one batch each, so that their fields resolve without
 * waiting; those that came with the page (`details`, `managers`) are primed instead of read again.
 * `partialManagers`: the managers hold only what this page shows of them.
 */
function prefetchRelations(
  ctx: GraphqlContext,
  users: User[],
  fields: Set<string>,
  parts: ReturnType<typeof detailPartsOf>,
  details: Map<string, UserDetails> | null,
  managers: Map<string, User | null> | null,
  partialManagers: boolean,
): Promise<unknown> {
  const loaders = ctx.loaders();
  const ids = users.map((u) => u.id);
  const batches: Promise<void>[] = [];
  const fill = <V>(wanted: boolean | undefined, loader: { prime(id: string, v: V): void; prefetch(ids: string[]): Promise<void> }, pick: (d: UserDetails) => V) => {
    if (!wanted) return;
    if (details) for (const id of ids) loader.prime(id, pick(details.get(id)!));
    else batches.push(loader.prefetch(ids));
  };
  fill(parts.contacts, loaders.contactsOfUser, (d) => ({ emails: d.emails, phoneNumbers: d.phoneNumbers }));
  fill(parts.roles, loaders.rolesOfUser, (d) => d.roles);
  fill(parts.customFields, loaders.customFieldsOfUser, (d) => d.customFields);
  fill(parts.groups, loaders.groupsOfUser, (d) => d.groups);
  if (parts.indirectGroups) batches.push(loaders.groupsWithIndirectOfUser.prefetch(ids));
  if (fields.has("manager")) {
    const managerIds = users.flatMap((u) => (u.managerId ? [u.managerId] : []));
    if (managers && partialManagers) {
      for (const u of users) if (u.managerId) loaders.managerReadWithPage.set(u, managers.get(u.managerId) ?? null);
    } else if (managers) for (const id of managerIds) loaders.userById.prime(id, managers.get(id) ?? null);
    else batches.push(loaders.userById.prefetch(managerIds));
  }
  return Promise.all(batches);
}

/**
 * The User type's fields that are not its own columns, as plain functions. type-graphql wraps each
 * @FieldResolver in a function that copies the root into a new UserType and resolves the method's
 * parameters on every call: for a page of 100 users with groups, roles and manager, 300 such calls a
 * request. The schema installs these as the fields' resolvers directly (`installDirectResolvers`);
 * the class below keeps the decorators, which give the SDL, and calls the same functions.
 */
/**
 * Another user as a signed-in non-admin sees them (their manager, through `me`): who they are, and
 * nothing of their contacts, roles, groups, custom fields or manager. Relation fields of a card
 * resolve to nothing.
 */
const cards = new WeakSet<User>();
const CARD_FIELDS = ["id", "organisationId", "userName", "userNameKey", "displayName", "nameFormatted", "givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix", "active", "createdAt", "updatedAt", "version"] as const;

function asSeenBy(user: User | null, ctx: GraphqlContext): User | null {
  if (!user || ctx.principal()?.admin) return user;
  const card = Object.fromEntries(Object.keys(user).map((k) => [k, null])) as unknown as User;
  for (const k of CARD_FIELDS) (card as unknown as Record<string, unknown>)[k] = user[k];
  card.addresses = [];
  cards.add(card);
  return card;
}

const unlessCard = <T>(user: User, none: T, read: () => T): T => (cards.has(user) ? none : read());

export const userFieldResolvers = {
  name: (user: User): UserNameType => ({
    formatted: user.nameFormatted,
    givenName: user.givenName,
    familyName: user.familyName,
    middleName: user.middleName,
    honorificPrefix: user.honorificPrefix,
    honorificSuffix: user.honorificSuffix,
  }),
  addresses: (user: User): PostalAddress[] => user.addresses ?? [],
  emails: (user: User, ctx: GraphqlContext) => unlessCard(user, [], () => mapValue(ctx.loaders().contactsOfUser.get(user.id), (c) => c.emails)),
  phoneNumbers: (user: User, ctx: GraphqlContext) => unlessCard(user, [], () => mapValue(ctx.loaders().contactsOfUser.get(user.id), (c) => c.phoneNumbers)),
  roles: (user: User, ctx: GraphqlContext) => unlessCard(user, [], () => ctx.loaders().rolesOfUser.get(user.id)),
  customFields: (user: User, ctx: GraphqlContext) => unlessCard(user, {}, () => ctx.loaders().customFieldsOfUser.get(user.id)),
  manager: (user: User, ctx: GraphqlContext): User | null | Promise<User | null> => {
    if (!user.managerId) return null;
    const loaders = ctx.loaders();
    const readWithPage = loaders.managerReadWithPage.get(user);
    if (readWithPage !== undefined) return asSeenBy(readWithPage, ctx);
    const manager = loaders.userById.get(user.managerId);
    // An admin's page of users keeps the loader's value as it is (often already loaded: no promise per row).
    return ctx.principal()?.admin ? manager : Promise.resolve(manager).then((m) => asSeenBy(m, ctx));
  },
  groups: (user: User, ctx: GraphqlContext, args?: { includeIndirect?: boolean | null }) =>
    unlessCard(user, [], () => (args?.includeIndirect ? ctx.loaders().groupsWithIndirectOfUser : ctx.loaders().groupsOfUser).get(user.id)),
} satisfies Record<string, (user: User, ctx: GraphqlContext, args: Record<string, unknown>) => unknown>;

/** GroupRef's `direct`: the loaders mark only indirect groups (`direct: false`). */
export const groupRefFieldResolvers = {
  direct: (ref: { direct?: boolean }) => ref.direct !== false,
};

@Resolver(() => UserType)
export class UserResolver {
  @Query(() => UserConnection, { description: "Users in a stable order (by userName), a page at a time" })
  // The same total twice in a request (aliases) is one count: RecentTotals shares the count under way.
  @Extensions({ [SAME_TOTAL_COUNTED_ONCE]: true })
  async users(
    @Ctx() ctx: GraphqlContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
    @Arg("filter", () => UserFilterInput, { nullable: true }) filter?: UserFilterInput | null,
  ) {
    const fields = selectedNodeFields(info);
    const parts = detailPartsOf(fields, info);
    // The managers' fields, when each is known to read only columns (else they are read whole).
    const managerColumns = fields.has("manager") ? userColumnsOf(selectedNodeSubfields(info, "manager")) : undefined;
    const criteria = userCriteria(filter);
    const cursors = await listCursors(ctx, "users", criteria);
    const { slice, details, managers } = await ctx.services.users.listWithDetails(ctx.auth(), criteria, { first: pageSize(first), afterKey: cursors.open(after) }, {
      count: selectsTotalCount(info),
      include: { contacts: parts.contacts, roles: parts.roles, customFields: parts.customFields, groups: parts.groups },
      managers: fields.has("manager"),
      columns: userColumnsOf(fields),
      managerColumns,
    });
    await prefetchRelations(ctx, slice.items, fields, parts, details, managers, managerColumns !== undefined);
    return toConnection(slice, cursors);
  }

  @Query(() => UserType, { nullable: true })
  user(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<User | null> {
    return ctx.services.users.find(ctx.auth(), id);
  }

  @Mutation(() => UserType)
  createUser(@Arg("input") input: CreateUserInput, @Ctx() ctx: GraphqlContext): Promise<User> {
    return namedAsInput(userInputField, ctx.services.users.create(ctx.auth(), { ...toUserChanges(input), userName: input.userName }));
  }

  @Mutation(() => UserType)
  updateUser(
    @Arg("id", () => ID) id: string,
    @Arg("input") input: UpdateUserInput,
    @Ctx() ctx: GraphqlContext,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<User> {
    return namedAsInput(userInputField, ctx.services.users.update(ctx.auth(), id, toUserChanges(input), { expectedVersion: expectedVersion ?? undefined }));
  }

  @Mutation(() => UserType)
  deactivateUser(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<User> {
    return ctx.services.users.deactivate(ctx.auth(), id);
  }

  @Mutation(() => UserType)
  reactivateUser(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<User> {
    return ctx.services.users.reactivate(ctx.auth(), id);
  }

  @Mutation(() => ID, { description: "Deletes the user; returns its id" })
  async deleteUser(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<string> {
    await ctx.services.users.delete(ctx.auth(), id);
    return id;
  }

  @Mutation(() => UserType)
  assignRoles(@Args() { userId, roles }: UserRolesArgs, @Ctx() ctx: GraphqlContext): Promise<User> {
    return ctx.services.users.assignRoles(ctx.auth(), userId, roles);
  }

  @Mutation(() => UserType)
  unassignRoles(@Args() { userId, roles }: UserRolesArgs, @Ctx() ctx: GraphqlContext): Promise<User> {
    return ctx.services.users.unassignRoles(ctx.auth(), userId, roles);
  }

  @Mutation(() => UserType, { description: "Sets the named custom fields (null clears one); other fields stay" })
  setCustomFieldValues(
    @Arg("userId", () => ID) userId: string,
    @Arg("values", () => GraphQLJSONObject) values: Record<string, unknown>,
    @Ctx() ctx: GraphqlContext,
  ): Promise<User> {
    return ctx.services.users.setCustomFieldValues(ctx.auth(), userId, values);
  }

  @FieldResolver(() => UserNameType)
  name(@Root() user: User): UserNameType {
    return userFieldResolvers.name(user);
  }

  @FieldResolver(() => [AddressType])
  addresses(@Root() user: User): PostalAddress[] {
    return userFieldResolvers.addresses(user);
  }

  @FieldResolver(() => [ContactValueType])
  emails(@Root() user: User, @Ctx() ctx: GraphqlContext) {
    return userFieldResolvers.emails(user, ctx);
  }

  @FieldResolver(() => [ContactValueType])
  phoneNumbers(@Root() user: User, @Ctx() ctx: GraphqlContext) {
    return userFieldResolvers.phoneNumbers(user, ctx);
  }

  @FieldResolver(() => [RoleType])
  roles(@Root() user: User, @Ctx() ctx: GraphqlContext) {
    return userFieldResolvers.roles(user, ctx);
  }

  @FieldResolver(() => GraphQLJSONObject)
  customFields(@Root() user: User, @Ctx() ctx: GraphqlContext) {
    return userFieldResolvers.customFields(user, ctx);
  }

  @FieldResolver(() => UserType, { nullable: true })
  manager(@Root() user: User, @Ctx() ctx: GraphqlContext): User | null | Promise<User | null> {
    return userFieldResolvers.manager(user, ctx);
  }

  @FieldResolver(() => UserConnection, { description: "The users whose manager this user is, in a stable order (by userName), a page at a time (admins)" })
  // The totals of a batch of managers are one GROUP BY, and read at most the organisation's users (a user has one manager).
  // The same page of reports twice (aliases) is one loader: one batch, one count.
  @Extensions({ [TOTALS_COUNTED_TOGETHER]: true, [SAME_TOTAL_COUNTED_ONCE]: true })
  async directReports(
    @Root() user: User,
    @Ctx() ctx: GraphqlContext,
    @Info() info: GraphQLResolveInfo,
    @Arg("first", () => Int, { defaultValue: 50 }) first: number,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ) {
    // A user seen as a card (a non-admin's view of their manager) shows none.
    if (cards.has(user)) return { edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
    // Cursors of this manager's reports: another manager's, or another list's, are refused.
    const cursors = await listCursors(ctx, "directReports", { managerId: user.id });
    const slice = await ctx.loaders().directReports({ first: pageSize(first), afterKey: cursors.open(after) }, selectsTotalCount(info)).get(user.id);
    return toConnection(slice, cursors);
  }

  @FieldResolver(() => [GroupRefType], {
    description: "Groups the user is a direct member of, by name; with includeIndirect, followed by the groups it is in through nested groups (direct: false), each once, by name",
  })
  groups(
    @Root() user: User,
    @Ctx() ctx: GraphqlContext,
    @Arg("includeIndirect", () => Boolean, { nullable: true, defaultValue: false, description: "Also the groups the user is in through groups nested in them" }) includeIndirect: boolean,
  ) {
    return userFieldResolvers.groups(user, ctx, { includeIndirect });
  }
}
