import type { ApolloServerPlugin } from "@apollo/server";
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isObjectType,
} from "graphql";
import { type ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { MAX_PAGE_SIZE } from "./connection";
import { type FragmentOf, type Variables, fieldsRun, runsField } from "./selections";

/**
 * The most one GraphQL request may cost: about 35 times the benchmark's page of 100 users with
 * groups, roles and manager (1,401; 2,401 with its total), and a page of 500 users with 90 fields each. Without it, one
 * request of 300 aliased `users(first: 500)` read 150,000 users.
 */
export const MAX_QUERY_COST = 50_000;

/**
 * What a connection's `totalCount` costs: a COUNT over the whole list (the organisation's users,
 * groups, audit events or provisioning log), which may be millions of rows, where a field of a page
 * costs 1 per item. Counted once per connection, not once per item of its page; a connection inside
 * another's nodes would count once per item of the outer page, as it would run a COUNT per item (a
 * group's members no longer do: TOTAL_READ_WITH_PARENT). 1,000: each of the admin console's lists with its total costs 2-3% of MAX_QUERY_COST, and one request
 * may ask for at most 49 totals (100 are refused at twice the limit). Totals are kept a few seconds
 * (RecentTotals, SettledTotals), so a UI asking for the same total on every page pays the COUNT once;
 * the cost is for the request that asks for many different ones.
 */
export const COUNT_COST = 1_000;

/**
 * The most selections (fields, fragment spreads, inline fragments) the cost walk visits, each fragment
 * counted wherever it is spread: a request past it is refused unpriced. graphql-query-complexity gives
 * up there (its default), and a request it gave up on had been let through: 12 fragments each
 * selecting the one before twice (`a: manager { ...F10 } b: manager { ...F10 }`, 800 characters)
 * under `users(first: 500)` ran for 1.1 s (SQLite), 13 for 1.9 s, each fragment more doubling it. The introspection query
 * walks 231 selections, the benchmark's page 17.
 */
export const MAX_PRICED_SELECTIONS = 10_000;

/** `requestCost` of a request with more than MAX_PRICED_SELECTIONS selections. */
export const TOO_MANY_SELECTIONS = Number.POSITIVE_INFINITY;

/**
 * The extension (type-graphql's `@Extensions`) of a connection field whose totals are counted by one
 * statement for all the parents resolved together (a batch: directReports' GROUP BY managerId), and
 * whose counts together read at most what one COUNT over the organisation reads: its `totalCount`
 * costs COUNT_COST once wherever it is selected, not once per parent.
 */
export const TOTALS_COUNTED_TOGETHER = "totalsCountedTogether";

/**
 * The extension of a connection field whose `totalCount` is a column of its parent's row, read with
 * it (a group's members: the group's memberCount), not a COUNT: it costs nothing beyond the
 * connection's own fields.
 */
export const TOTAL_READ_WITH_PARENT = "totalReadWithParent";

/**
 * The extension of a connection field whose total, asked for again on the same object with the same
 * arguments (an alias, or the field selected twice), is not counted again: the resolvers ask for it
 * at once, and the second finds the first's count under way (RecentTotals shares it, a page loader
 * its batch). Its repetitions cost nothing. A connection without it (a log's, whose recent entries
 * SettledTotals counts on every call) pays each.
 */
export const SAME_TOTAL_COUNTED_ONCE = "sameTotalCountedOnce";

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;
type Field = GraphQLField<unknown, unknown>;

/** The schema's connection fields (their type has a `totalCount`), by how their totals are counted. */
interface Connections {
  /** A COUNT for each parent (and each top-level occurrence). */
  countedApart: ReadonlySet<Field>;
  /** One count for the parents resolved together (TOTALS_COUNTED_TOGETHER). */
  countedTogether: ReadonlySet<Field>;
  /** The names of `countedTogether`: a document that names none needs no second walk. */
  countedTogetherNames: ReadonlySet<string>;
  /** Those whose repeated total is counted once (SAME_TOTAL_COUNTED_ONCE). */
  countedOnce: ReadonlySet<Field>;
}

function connectionsOf(schema: GraphQLSchema): Connections {
  const countedApart = new Set<Field>();
  const countedTogether = new Set<Field>();
  const countedOnce = new Set<Field>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const returned = getNamedType(field.type);
      if (!isObjectType(returned) || !("totalCount" in returned.getFields()) || field.extensions?.[TOTAL_READ_WITH_PARENT] === true) continue;
      (field.extensions?.[TOTALS_COUNTED_TOGETHER] === true ? countedTogether : countedApart).add(field);
      if (field.extensions?.[SAME_TOTAL_COUNTED_ONCE] === true) countedOnce.add(field);
    }
  }
  return { countedApart, countedTogether, countedTogetherNames: new Set([...countedTogether].map((f) => f.name)), countedOnce };
}

/** What one request is priced with: the schema's connections, its fragments, its variables coerced. */
interface Pricing {
  connections: Connections;
  fragmentOf: FragmentOf;
  variables: Variables;
}

/**
 * Whether the connection's own selection runs its `totalCount`: through fragments, not where @skip or
 * @include leaves it out (the resolver then counts nothing: selectsTotalCount, the same rule).
 */
const asksForTotal = (node: FieldNode, p: Pricing): boolean => runsField(node.selectionSet, "totalCount", p.fragmentOf, p.variables);

/**
 * How many of the totals that a selection set of `type` runs on one object, among `charged`, repeat
 * one already asked for there (SAME_TOTAL_COUNTED_ONCE: the same field and arguments): each was
 * charged COUNT_COST by its own field, and is taken off. Only on an object type: the fragments of an
 * interface or union apply to different objects (the schema has none).
 */
function repeatedTotals(set: SelectionSetNode | undefined, type: GraphQLNamedType, p: Pricing, charged: ReadonlySet<Field>): number {
  if (!isObjectType(type)) return 0;
  const fields = type.getFields();
  const asked = new Set<string>();
  let repeated = 0;
  for (const node of fieldsRun(set, p.fragmentOf, p.variables)) {
    const field = fields[node.name.value];
    if (!field || !charged.has(field) || !p.connections.countedOnce.has(field) || !asksForTotal(node, p)) continue;
    const key = `${field.name}${JSON.stringify(getArgumentValues(field, node, p.variables))}`;
    if (asked.has(key)) repeated++;
    else asked.add(key);
  }
  return repeated;
}

/** COUNT_COST for each total the field's own selection repeats (none can below 2 × COUNT_COST). */
const repeatedUnder = (field: Field, node: FieldNode, childComplexity: number, p: Pricing, charged: ReadonlySet<Field>): number =>
  childComplexity < 2 * COUNT_COST ? 0 : COUNT_COST * repeatedTotals(node.selectionSet, getNamedType(field.type), p, charged);

/**
 * A field costs 1, and what is selected under it as many times as it can return items: `first`
 * where it takes one (connections: up to MAX_PAGE_SIZE), else once (a user's groups or roles, which have no
 * page size; their count is the directory's, not the caller's choice). A connection's `totalCount`
 * costs COUNT_COST, once for the connection, unless its totals are counted together (then
 * `costOfCountsTogether` charges it).
 */
const costOfField =
  (p: Pricing): ComplexityEstimator =>
  ({ field, node, args, childComplexity }) => {
    if (field.name === "totalCount") return 0; // charged by its connection, once
    const count = p.connections.countedApart.has(field) && asksForTotal(node, p) ? COUNT_COST : 0;
    return 1 + count + (childComplexity - repeatedUnder(field, node, childComplexity, p, p.connections.countedApart)) * itemsAtMost(args.first);
  };

/** The totals counted together: COUNT_COST each time the document selects one, however many parents it is selected for. */
const costOfCountsTogether =
  (p: Pricing): ComplexityEstimator =>
  ({ field, node, childComplexity }) =>
    childComplexity - repeatedUnder(field, node, childComplexity, p, p.connections.countedTogether) + (p.connections.countedTogether.has(field) && asksForTotal(node, p) ? COUNT_COST : 0);

/** Whether a field of one of these names is selected anywhere in the document (its fragments included). */
function namesAny(document: DocumentNode, names: ReadonlySet<string>): boolean {
  const inSet = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => (s.kind === Kind.FIELD ? names.has(s.name.value) || inSet(s.selectionSet) : s.kind === Kind.INLINE_FRAGMENT && inSet(s.selectionSet)));
  return document.definitions.some((d) => (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) && inSet(d.selectionSet));
}

/**
 * The deepest a request's fields may nest (fragments followed): the introspection query nests 13, the
 * console 6. 300 levels of `manager { manager { … } }` cost 300 and took 170-310 ms of CPU and 110 MB.
 */
export const MAX_QUERY_DEPTH = 24;

/** How deep an operation's fields nest, following its fragments (validation has refused cycles among them). */
export function depthOf(operation: OperationDefinitionNode, document: DocumentNode, fragments: Fragments = fragmentsOf(document)): number {
  const memo = new Map<string, number>();
  const depth = (set: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) deepest = Math.max(deepest, s.selectionSet ? 1 + depth(s.selectionSet) : 1);
      else if (s.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depth(s.selectionSet));
      else {
        const name = s.name.value;
        if (!memo.has(name)) {
          memo.set(name, 0);
          memo.set(name, depth(fragments.get(name)?.selectionSet));
        }
        deepest = Math.max(deepest, memo.get(name)!);
      }
    }
    return deepest;
  };
  return depth(operation.selectionSet);
}

function fragmentsOf(document: DocumentNode): Fragments {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/**
 * How requests to this schema are priced: their cost (costOfField, plus costOfCountsTogether when the
 * document names such a field), what @skip and @include leave out not counted (graphql-query-complexity
 * leaves out such fields and fragments, asksForTotal such totals); TOO_MANY_SELECTIONS past
 * MAX_PRICED_SELECTIONS; or undefined when the variables do not fit their types (the executor then
 * answers BAD_USER_INPUT).
 */
export function requestCost(schema: GraphQLSchema) {
  const connections = connectionsOf(schema);
  return (document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>, fragments: Fragments = fragmentsOf(document)): number | undefined => {
    try {
      const operation = getOperationAST(document, operationName);
      const root = operation && schema.getRootType(operation.operation);
      if (!operation || !root) return undefined;
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
      if (coerced.errors) return undefined;
      const p: Pricing = { connections, fragmentOf: (name) => fragments.get(name), variables: coerced.coerced };
      // The root's repeated totals have no field above them to take them off.
      const priced = (estimator: ComplexityEstimator, charged: ReadonlySet<Field>) => {
        const cost = getComplexity({ schema, query: document, operationName, variables, estimators: [estimator], maxQueryNodes: MAX_PRICED_SELECTIONS });
        return cost < 2 * COUNT_COST ? cost : cost - COUNT_COST * repeatedTotals(operation.selectionSet, root, p, charged);
      };
      const cost = priced(costOfField(p), connections.countedApart);
      if (!namesAny(document, connections.countedTogetherNames)) return cost;
      return cost + priced(costOfCountsTogether(p), connections.countedTogether);
    } catch (e) {
      return e instanceof GraphQLError && /maximum allowed number of nodes/.test(e.message) ? TOO_MANY_SELECTIONS : undefined;
    }
  };
}

/** A `first` above MAX_PAGE_SIZE counts as the most a page holds: the connection refuses it, naming `first`. */
const itemsAtMost = (first: unknown): number => (typeof first === "number" && first > 1 ? Math.min(first, MAX_PAGE_SIZE) : 1);

/**
 * Refuses, before anything runs, a request whose fields nest deeper than MAX_QUERY_DEPTH
 * (QUERY_TOO_DEEP), or whose cost (`requestCost`) is above `maxCost` or cannot be priced for its
 * selections (QUERY_TOO_COMPLEX), HTTP 400.
 */
export function queryCostPlugin(schema: GraphQLSchema, maxCost = MAX_QUERY_COST): ApolloServerPlugin {
  const costOf = requestCost(schema);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          const fragments = fragmentsOf(document);
          const depth = operation ? depthOf(operation, document, fragments) : 0;
          if (depth > MAX_QUERY_DEPTH)
            throw new GraphQLError(`This request nests its fields ${depth} levels deep, at most ${MAX_QUERY_DEPTH}: split it`, {
              extensions: { code: "QUERY_TOO_DEEP", depth, maxDepth: MAX_QUERY_DEPTH, http: { status: 400 } },
            });
          const cost = costOf(document, request.operationName ?? undefined, request.variables ?? {}, fragments);
          if (cost === TOO_MANY_SELECTIONS)
            throw new GraphQLError(`This request selects more than ${MAX_PRICED_SELECTIONS} fields and fragments once its fragments are followed: split it`, {
              extensions: { code: "QUERY_TOO_COMPLEX", maxSelections: MAX_PRICED_SELECTIONS, maxCost, http: { status: 400 } },
            });
          if (cost !== undefined && cost > maxCost)
            throw new GraphQLError(`This request asks for too much at once (cost ${cost}, at most ${maxCost}): ask for fewer items per page or fewer totals, or split it`, {
              extensions: { code: "QUERY_TOO_COMPLEX", cost, maxCost, http: { status: 400 } },
            });
        },
      };
    },
  };
}
