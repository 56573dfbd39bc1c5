import type { CustomFieldDefinition } from "../../../domain/custom-fields/custom-field-definition.entity";
import type { CustomFieldValues } from "../../../domain/custom-fields/custom-field.service";
import type { UserChanges } from "../../../domain/users/user.service";
import { type Json, type PatchOperation, deepEqual, isObject } from "../../protocol";
import type { ScimScope } from "../scim-scope";

/**
 * Custom fields managed in the product (a definition's `managedBy: product`) are left as they are by
 * SCIM writes, as roles are where the organisation manages them (user.scim-roles.ts): a PUT without
 * the field keeps its value (RFC 7644 §3.5.1 lets a service provider keep readWrite attributes a PUT
 * omits), and the values an IdP sends for it are not applied. The request still succeeds, with this
 * note (naming the field) in the provisioning log.
 */
export const fieldLeftNote = (key: string) => `custom field ${key} left as it is: the field is managed in the product`;

const productManaged = (definitions: CustomFieldDefinition[]) => definitions.filter((d) => d.managedBy === "product");

/** Takes the product-managed fields out of the changes mapped from a SCIM write, so that it leaves their values alone. */
function keepingFields(kept: CustomFieldDefinition[]): (changes: UserChanges) => UserChanges {
  return (changes) => {
    if (changes.customFields) for (const def of kept) delete changes.customFields[def.key];
    return changes;
  };
}

/**
 * A whole user (POST, PUT) as the product-managed custom fields let its IdP write it: their values
 * sent are dropped from `resource` (noted) and `keepFields` takes them out of the changes mapped
 * from it (a PUT maps every field left out to a clear), so that the write leaves them alone.
 */
export function customFieldsOfWholeUser(scope: ScimScope, definitions: CustomFieldDefinition[], resource: Json, sentNull: readonly string[]): { keepFields: (changes: UserChanges) => UserChanges } {
  const kept = productManaged(definitions);
  if (kept.length === 0) return { keepFields: (changes) => changes };
  const urn = scope.extensionUrn.toLowerCase();
  const extKey = Object.keys(resource).find((k) => k.toLowerCase() === urn);
  const ext = extKey !== undefined && isObject(resource[extKey]) ? (resource[extKey] as Json) : {};
  const nulled = new Set(sentNull.map((s) => s.toLowerCase()));
  for (const def of kept) {
    const key = Object.keys(ext).find((k) => k.toLowerCase() === def.key.toLowerCase());
    if (key !== undefined || nulled.has(`${urn}:${def.key.toLowerCase()}`)) scope.notes.add(fieldLeftNote(def.key));
    if (key !== undefined) delete ext[key];
  }
  return { keepFields: keepingFields(kept) };
}

/**
 * PATCH operations as the product-managed custom fields let its IdP apply them: those on such a field
 * (a path naming it, or a key of a path-less value or of a value for the whole extension) are left
 * out, noted. `keepFields` then takes them out of the changes (an operation on the whole extension,
 * a remove of it, would clear them), noting those whose value it would have changed.
 */
export function customFieldOperationsLeftOut(
  scope: ScimScope,
  definitions: CustomFieldDefinition[],
  operations: PatchOperation[],
): { operations: PatchOperation[]; keepFields: (changes: UserChanges, current: CustomFieldValues) => UserChanges } {
  const kept = productManaged(definitions);
  if (kept.length === 0) return { operations, keepFields: (changes) => changes };
  const urn = scope.extensionUrn.toLowerCase();
  const managed = (name: string) => kept.find((d) => d.key.toLowerCase() === name.toLowerCase());
  /** A value for the whole extension, less the managed fields' keys (noted). */
  const withoutManaged = (value: Json): Json =>
    Object.fromEntries(
      Object.entries(value).filter(([key]) => {
        const def = managed(key);
        if (def) scope.notes.add(fieldLeftNote(def.key));
        return !def;
      }),
    );
  const result: PatchOperation[] = [];
  for (const op of operations) {
    if (op.path) {
      const schema = op.path.schema?.toLowerCase();
      const def = schema === urn ? managed(op.path.attribute) : undefined;
      if (def) scope.notes.add(fieldLeftNote(def.key));
      else if (schema === undefined || `${schema}:${op.path.attribute.toLowerCase()}` !== urn || !isObject(op.value)) result.push(op);
      else {
        // A value for the whole extension: left out once nothing else is in it.
        const value = withoutManaged(op.value);
        if (Object.keys(value).length) result.push({ ...op, value });
      }
      continue;
    }
    if (!isObject(op.value)) {
      result.push(op);
      continue;
    }
    const value: Json = {};
    for (const [key, v] of Object.entries(op.value)) {
      const k = key.toLowerCase();
      const def = k.startsWith(`${urn}:`) ? managed(key.slice(urn.length + 1)) : undefined;
      if (def) scope.notes.add(fieldLeftNote(def.key));
      else value[key] = k === urn && isObject(v) ? withoutManaged(v) : v;
    }
    if (Object.keys(value).some((key) => key.toLowerCase() !== "schemas")) result.push({ ...op, value });
  }
  const keep = keepingFields(kept);
  return {
    operations: result,
    keepFields: (changes, current) => {
      for (const def of kept) {
        const after = changes.customFields?.[def.key];
        if (after !== undefined && !deepEqual(after ?? null, current[def.key] ?? null)) scope.notes.add(fieldLeftNote(def.key));
      }
      return keep(changes);
    },
  };
}
