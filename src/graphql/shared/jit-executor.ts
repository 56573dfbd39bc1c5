import type { ApolloServerOptionsWithGateway, BaseContext } from "@apollo/server";
import { type DocumentNode, type ExecutionResult, GraphQLError, type GraphQLSchema, type OperationDefinitionNode, execute, printSchema, visit } from "graphql";
import { getVariableValues } from "graphql/execution/values";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import { unstorableLiteral, unstorableVariable } from "./storable-strings";

type Gateway = ApolloServerOptionsWithGateway<BaseContext>["gateway"];

/** Documents whose compiled operations a process keeps: a product's front end sends far fewer. */
export const MAX_COMPILED_DOCUMENTS = 500;
/** Parsed and validated documents Apollo keeps (`documentStore`), the least recently used dropped first. */
export const MAX_STORED_DOCUMENTS = 1000;

/**
 * Apollo's document cache, bounded by a count. Its default (30 MiB by its own measure of a document,
 * the length of its JSON) kept over 10,000 small queries, about 170 MB of heap in a process sent
 * distinct queries (heap after GC: 41 MB at start, 210 MB once they stopped adding).
 */
export class DocumentStore {
  private readonly entries = new Map<string, DocumentNode>();

  constructor(private readonly max = MAX_STORED_DOCUMENTS) {}

  async get(key: string): Promise<DocumentNode | undefined> {
    const document = this.entries.get(key);
    if (document) {
      this.entries.delete(key);
      this.entries.set(key, document);
    }
    return document;
  }

  async set(key: string, document: DocumentNode): Promise<void> {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, document);
  }

  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Apollo Server executing with graphql-jit: each operation is compiled once into plain JavaScript
 * and reused. Measured in-process on the page of 100 users with groups, roles and manager: 3.1 ms
 * per execution with graphql-js, 1.6 ms compiled. Apollo still parses, validates, runs plugins and
 * formats errors; its gateway interface is its documented way to bring another executor.
 */
export function jitGateway(schema: GraphQLSchema): Gateway {
  // By parsed document (Apollo keeps one per query text in its document cache), at most
  // MAX_COMPILED_DOCUMENTS, the least recently used dropped first. Kept for as long as Apollo kept
  // the document, they were bounded only by Apollo's cache, which sizes a document by its text and
  // kept over 10,000 of them: a compiled operation weighs far more (about 58 KB), so a client writing
  // values into its queries (first: 17) grew the process to 714 MB of heap after GC at 12,000
  // distinct queries, still growing.
  const compiled = new Map<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();
  const sdl = printSchema(schema);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: sdl });
      return () => undefined;
    },
    async load() {
      return {
        executor: async (rc) => {
          // No operation resolved (graphql-jit, given one operation, would run it under any name): graphql-js's
          // error, which Apollo answers as OPERATION_RESOLUTION_FAILURE.
          if (!rc.operation) return { errors: [new GraphQLError(rc.request.operationName ? `Unknown operation named "${rc.request.operationName}".` : "Must provide operation name if query contains multiple operations.")] };
          let byName = compiled.get(rc.document);
          // Least recently used first: a use moves the document to the end.
          if (byName) compiled.delete(rc.document);
          else if (compiled.size >= MAX_COMPILED_DOCUMENTS) compiled.delete(compiled.keys().next().value!);
          compiled.set(rc.document, (byName ??= new Map()));
          const name = rc.operationName ?? "";
          let query = byName.get(name);
          if (!query) {
            const literal = unstorableLiteral(rc.document);
            byName.set(name, (query = literal ? { errors: [literal] } : compileQuery(schema, rc.document, rc.operationName ?? undefined)));
          }
          if (!isCompiledQuery(query)) return query;
          const unstorable = unstorableVariable(rc.request.variables ?? {});
          if (unstorable) return { errors: [unstorable] };
          const variables = coerceVariables(schema, rc.operation, rc.request.variables ?? {});
          if (variables.errors) return { errors: variables.errors };
          // graphql-jit writes null for a variable left out inside an input object (graphql-jit issues
          // #91, #230), and null clears a field: such a request runs on graphql-js, which leaves it out.
          const omitted = [...variablesInInputObjects(rc.document)].some((v) => !Object.hasOwn(variables.coerced, v));
          if (omitted) return execute({ schema, document: rc.document, operationName: rc.operationName, contextValue: rc.context, variableValues: rc.request.variables ?? {} });
          const result = (await query.query(undefined, rc.context, variables.coerced)) as ExecutionResult<Record<string, unknown>>;
          return result.errors ? { ...result, errors: result.errors.map(asGraphqlJsError) } : result;
        },
      };
    },
    async stop() {},
  };
}

const inInputObjects = new WeakMap<DocumentNode, Set<string>>();

/** The variables a document uses inside input object literals (`input: { title: $t }`), at any depth. */
function variablesInInputObjects(document: DocumentNode): Set<string> {
  let names = inInputObjects.get(document);
  if (!names) {
    const found = new Set<string>();
    let depth = 0;
    visit(document, {
      ObjectValue: { enter: () => void depth++, leave: () => void depth-- },
      Variable(node) {
        if (depth > 0) found.add(node.name.value);
      },
    });
    inInputObjects.set(document, (names = found));
  }
  return names;
}

/**
 * graphql-jit's errors imitate graphql-js's but leave `extensions` undefined, which Apollo reads
 * (then answers INTERNAL_SERVER_ERROR without calling formatError): rebuilt as graphql-js errors, with
 * the resolver's error as `originalError` (formatGraphqlError maps it) and the same locations.
 */
function asGraphqlJsError(e: GraphQLError): GraphQLError {
  const error = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined, extensions: e.extensions ?? {} });
  return Object.assign(error, { locations: e.locations });
}

/**
 * The operation's variables coerced by graphql-js, as graphql-js's own execute does, before graphql-jit
 * sees them. graphql-jit's coercion leaves out input-field defaults of a variable's input object
 * (graphql-jit issue #142: `{ key: "k" }` for DefineCustomFieldInput lacked `type: "string"`) and its
 * errors carry no code, so a bad value was an INTERNAL_SERVER_ERROR logged with the values. These
 * errors are BAD_USER_INPUT; their messages go to the caller who sent the values, never to the logs.
 * graphql-jit coerces the coerced values again: the same values for every type in this schema
 * (String, Int, ID, Boolean, enums whose values are their names, DateTimeISO and JSONObject, whose
 * parseValue accept what they return).
 */
function coerceVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: Record<string, unknown>): ReturnType<typeof getVariableValues> {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], inputs, { maxErrors: 10 });
  if (!result.errors) return result;
  return { errors: result.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: "BAD_USER_INPUT" } })) };
}
