import type { Comparison, Criteria, ScalarValue } from "../../domain/shared/criteria";
import { type AttrPath, type Filter, URN_ENTERPRISE_USER, invalidFilter, jsonNumber, parseDateTime } from "../protocol";

/** Turns a value of a resolved filter into the column's type; a malformed date is the client's error. */
export function typedValue(type: "string" | "boolean" | "date" | "number", value: unknown, shown: string): ScalarValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "string":
      return String(value);
    case "boolean":
      if (typeof value === "boolean") return value;
      if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
      throw invalidFilter(`"${shown}" is a boolean: compare it with true or false`);
    case "number": {
      // As a write reads it: a number, or a string that is exactly one ("42"; not "0x2A", " 42").
      const n = jsonNumber(value);
      if (n === undefined) throw invalidFilter(`"${shown}" is a number: ${JSON.stringify(value)} is not one`);
      return n;
    }
    case "date": {
      const date = parseDateTime(value);
      if (!date) throw invalidFilter(`"${shown}" is a dateTime: ${JSON.stringify(value)} is not one (use e.g. "2011-05-13T04:42:34Z")`);
      return date;
    }
  }
}

const shownPath = (p: AttrPath) => `${p.schema ? `${p.schema}:` : ""}${p.attribute}${p.subAttribute ? `.${p.subAttribute}` : ""}`;

export interface FilterTarget<F extends string, R> {
  /** A plain attribute (or sub-attribute) → a column comparison or relation; undefined = not filterable. */
  attribute(path: AttrPath, op: Comparison, value: unknown): Criteria<F, R> | undefined;
  /** `attr[inner]` value paths over multi-valued attributes. */
  valuePath(path: AttrPath, inner: Filter): Criteria<F, R> | undefined;
}

/** A resolved SCIM filter AST → the domain's criteria, through a whitelist per resource. */
export function filterToCriteria<F extends string, R>(filter: Filter, target: FilterTarget<F, R>): Criteria<F, R> {
  switch (filter.kind) {
    case "and":
    case "or":
      return { kind: filter.kind, items: [filterToCriteria(filter.left, target), filterToCriteria(filter.right, target)] };
    case "not":
      return { kind: "not", item: filterToCriteria(filter.filter, target) };
    case "valuePath": {
      const c = target.valuePath(filter.path, filter.filter);
      if (!c) throw invalidFilter(`"${shownPath(filter.path)}[…]" cannot be used in a filter`);
      return c;
    }
    case "present":
    case "compare": {
      const op: Comparison = filter.kind === "present" ? "pr" : filter.op;
      const c = target.attribute(filter.path, op, filter.kind === "compare" ? filter.value : undefined);
      if (!c) throw invalidFilter(`"${shownPath(filter.path)}" cannot be used in a filter`);
      return c;
    }
  }
}

/** The legacy form `manager eq "…"` names the enterprise attribute without its URN. */
export function qualifyLegacyManager(filter: Filter): Filter {
  switch (filter.kind) {
    case "and":
    case "or":
      return { ...filter, left: qualifyLegacyManager(filter.left), right: qualifyLegacyManager(filter.right) };
    case "not":
      return { ...filter, filter: qualifyLegacyManager(filter.filter) };
    case "compare":
    case "present":
      return !filter.path.schema && filter.path.attribute.toLowerCase() === "manager" ? { ...filter, path: { ...filter.path, schema: URN_ENTERPRISE_USER } } : filter;
    default:
      return filter;
  }
}
