import type { GroupCriteria, GroupField, GroupRelation } from "../../../domain/groups/group.query";
import { type AttrPath, type Filter, invalidFilter } from "../../protocol";
import { filterToCriteria, typedValue } from "../scim-filter";

const COLUMNS: Record<string, GroupField> = {
  id: "id",
  displayName: "displayName",
  externalId: "externalId",
  "meta.created": "createdAt",
  "meta.lastModified": "updatedAt",
};

const key = (p: AttrPath) => (p.subAttribute ? `${p.attribute}.${p.subAttribute}` : p.attribute);

export const groupColumnOf = (path: AttrPath): GroupField | undefined => (path.schema ? undefined : COLUMNS[key(path)]);

function memberIds(inner: Filter): string[] {
  if (inner.kind === "or") return [...memberIds(inner.left), ...memberIds(inner.right)];
  if (inner.kind === "compare" && inner.op === "eq" && inner.path.attribute === "value" && typeof inner.value === "string") return [inner.value];
  throw invalidFilter('"members" can only be filtered with value eq "…"');
}

const hasMembers = (ids: string[]): GroupCriteria => ({ kind: "or", items: ids.map((memberId) => ({ kind: "related" as const, relation: { kind: "hasMember" as const, memberId } })) });

export function groupFilterToCriteria(filter: Filter): GroupCriteria {
  return filterToCriteria<GroupField, GroupRelation>(filter, {
    attribute(path, op, value) {
      const column = groupColumnOf(path);
      if (column) return { kind: "compare", field: column, op, value: op === "pr" ? null : typedValue(column.endsWith("At") ? "date" : "string", value, key(path)) };
      if (!path.schema && path.attribute === "members" && (path.subAttribute ?? "value") === "value") {
        // RFC 7644 §3.4.2.2: a multi-valued attribute is present when it has a value.
        if (op === "pr") return { kind: "related", relation: { kind: "hasMembers" } };
        if (op !== "eq" || typeof value !== "string") throw invalidFilter('"members" can only be filtered with eq');
        return hasMembers([value]);
      }
      return undefined;
    },
    valuePath(path, inner) {
      return !path.schema && path.attribute === "members" ? hasMembers(memberIds(inner)) : undefined;
    },
  });
}
