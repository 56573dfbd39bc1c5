import { In } from "typeorm";
import { Database, isUniqueViolation } from "../../platform/database";
import { boolOf, jsonOf } from "../../platform/row-values";
import { OrganisationCache } from "../shared/organisation-cache";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import { diffFields } from "../audit/audit.service";
import { InputProblems, conflict, invalidInput, notFound } from "../shared/domain-error";
import { assertExpectedVersion } from "../shared/expected-version";
import { CustomFieldDefinition, type CustomFieldType, customFieldTypes } from "./custom-field-definition.entity";
import { refillingOwnDetails } from "../users/own-details";
import { CustomFieldValue, customValueKey } from "./custom-field-value.entity";
import { characterCount } from "../shared/text-length";
import { type ManagedBy, validateManagedBy } from "../shared/managed-by";
import { numberValue } from "./number-value";

/** The seed documents' product extension: every new organisation starts with these string fields. */
export const SEED_CUSTOM_FIELDS = ["area", "department", "location", "position", "custom_1", "custom_2", "custom_3"];

export type CustomFieldScalar = string | number | boolean;
/** A user's custom field values by key: a scalar, or an array for multi-valued fields. */
export type CustomFieldValues = Record<string, CustomFieldScalar | CustomFieldScalar[]>;

export interface CustomFieldDefinitionInput {
  key?: string;
  label?: string;
  type?: CustomFieldType;
  multiValued?: boolean;
  options?: string[] | null;
  managedBy?: ManagedBy;
}

const KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const MAX_VALUE_LENGTH = 2048;
const MAX_VALUES_PER_FIELD = 100;
/** Options of an enum field (GraphQL checks the bound before the resolver, with this message). */
export const MAX_OPTIONS = 1000;
export const TOO_MANY_OPTIONS = `an enum field has at most ${MAX_OPTIONS} options`;

/** Validated, canonical rows ready to store for one field. */
export interface CanonicalValue {
  value: string;
  valueNumber: number | null;
}

/** How long another instance may keep serving definitions an admin has just changed. */
const DEFINITIONS_TTL_MS = 5_000;

export class CustomFieldService {
  private readonly cache: OrganisationCache<CustomFieldDefinition[]>;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {
    this.cache = new OrganisationCache(db, DEFINITIONS_TTL_MS);
  }

  async createSeedFields(ctx: RequestContext): Promise<void> {
    const now = new Date();
    await this.db
      .manager(ctx)
      .getRepository(CustomFieldDefinition)
      .insert(
        SEED_CUSTOM_FIELDS.map((key) => ({
          id: newId(),
          organisationId: ctx.organisationId,
          key,
          label: key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()),
          type: "string" as const,
          multiValued: false,
          options: null,
          managedBy: "identityProvider" as const,
          version: 1,
          createdAt: now,
          updatedAt: now,
        })),
      );
  }

  /**
   * The organisation's definitions. Every SCIM request needs them (the schema, value types), so
   * they are cached for a few seconds per organisation; a change made here clears the entry at
   * once, and other instances see it within DEFINITIONS_TTL_MS.
   */
  async list(ctx: RequestContext): Promise<CustomFieldDefinition[]> {
    return this.cache.get(ctx, () => this.db.manager(ctx).getRepository(CustomFieldDefinition).find({ where: { organisationId: ctx.organisationId }, order: { key: "ASC" } }));
  }

  /**
   * Whether these definitions (from `list`, which may be another instance's DEFINITIONS_TTL_MS
   * behind) are still as they are stored, for values about to be written in `tx`. On MariaDB they
   * are read as they are now and share-locked until COMMIT: a definition deleted or changed
   * meanwhile (through any instance) answers false, and one changed after waits for the values.
   * Without it, a value of a field deleted through another instance failed the foreign key (a 500),
   * and an option just dropped, or several values of a field just made single-valued, were stored.
   * SQLite serialises writes, and this process forgets its definitions when they change.
   */
  async lockUnchanged(tx: RequestContext, definitions: CustomFieldDefinition[]): Promise<boolean> {
    if (this.db.dialect !== "mysql" || definitions.length === 0) return true;
    const rows = await this.db.rows(
      tx,
      `SELECT id, type, multiValued, options FROM custom_field_definitions FORCE INDEX (PRIMARY) WHERE id IN (${Database.placeholders(definitions.length)}) AND organisationId = ? LOCK IN SHARE MODE`,
      [...definitions.map((d) => d.id), tx.organisationId],
    );
    const stored = new Map(rows.map((r) => [String(r.id), r]));
    return definitions.every((d) => {
      const r = stored.get(d.id);
      return r !== undefined && r.type === d.type && boolOf(r.multiValued) === d.multiValued && JSON.stringify(jsonOf(r.options)) === JSON.stringify(d.options);
    });
  }

  /** The organisation's definitions as they are now, share-locked until COMMIT (MariaDB); the cached ones are forgotten. */
  async lockCurrent(tx: RequestContext & { manager: NonNullable<RequestContext["manager"]> }): Promise<CustomFieldDefinition[]> {
    this.cache.forget(tx.organisationId);
    return tx.manager.getRepository(CustomFieldDefinition).find({ where: { organisationId: tx.organisationId }, order: { key: "ASC" }, ...(this.db.dialect === "mysql" ? { lock: { mode: "pessimistic_read" as const } } : {}) });
  }

  /** Values as they are after writing `written` over `current` (cleared keys removed). */
  mergeValues(current: CustomFieldValues, written: Map<CustomFieldDefinition, CanonicalValue[]> | undefined): CustomFieldValues {
    if (!written?.size) return current;
    const next: CustomFieldValues = { ...current };
    for (const [def, values] of written) {
      if (values.length === 0) delete next[def.key];
      else {
        const typed = values.map((v) => typedValue(def, v));
        next[def.key] = def.multiValued ? typed : typed[0];
      }
    }
    return next;
  }

  async define(ctx: RequestContext, input: CustomFieldDefinitionInput): Promise<CustomFieldDefinition> {
    const { key, label, type, options, managedBy } = validateDefinition(input);
    const now = new Date();
    const def: CustomFieldDefinition = {
      id: newId(),
      organisationId: ctx.organisationId,
      key,
      label,
      type,
      multiValued: input.multiValued ?? false,
      options,
      managedBy,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    try {
      // Before the insert: TypeORM's insert sets the entity's defaulted columns to the driver's raw
      // values (MariaDB's multiValued became 0, and the trail said so instead of false).
      const changes = diffFields({}, { key, label: def.label, type, multiValued: def.multiValued, options: def.options, managedBy: def.managedBy });
      return await this.changing(ctx, () => this.db.transaction(ctx, async (tx) => {
        if (await this.byKey(tx, key)) throw keyTaken(key);
        await tx.manager.getRepository(CustomFieldDefinition).insert(def);
        await this.audit.record(tx, { action: "customField.defined", resourceType: "CustomFieldDefinition", resourceId: def.id, changes });
        return def;
      }));
    } catch (err) {
      if (isUniqueViolation(err)) throw keyTaken(key);
      throw err;
    }
  }

  /**
   * Label, options, multiValued and managedBy may change; the key and type are fixed once values exist. A write
   * that changes nothing keeps the version; one that changes something moves it by one. With
   * `expectedVersion`, a definition at another version is refused (VERSION_MISMATCH), checked under its lock.
   */
  async update(ctx: RequestContext, key: string, input: CustomFieldDefinitionInput, options: { expectedVersion?: number } = {}): Promise<CustomFieldDefinition> {
    return this.changing(ctx, () => this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(CustomFieldDefinition);
      const def = await this.byKey(tx, key, { lock: true });
      if (!def) throw notFound("CustomFieldDefinition", key);
      assertExpectedVersion("CustomFieldDefinition", def.key, def.version, options.expectedVersion);
      // Every invalid field at once (the console's form marks each); then what the stored values allow.
      const problems = new InputProblems();
      if (input.key !== undefined && input.key !== key) problems.add("key", "a custom field's key cannot change; define a new field instead");
      if (input.type !== undefined && input.type !== def.type) problems.add("type", "a custom field's type cannot change; define a new field instead");
      const next: Partial<CustomFieldDefinition> = problems.check(() => validateDefinitionChanges(input, def.type)) ?? {};
      problems.throwIfAny();
      if (next.options !== undefined) {
        // An option users hold stays: their values would become ones nobody could set again.
        const kept = new Set((next.options ?? []).map((o) => o.toLowerCase()));
        const dropped = (def.options ?? []).filter((o) => !kept.has(o.toLowerCase()));
        if (dropped.length) {
          const held = await tx.manager.getRepository(CustomFieldValue).findOne({ select: { value: true }, where: { fieldId: def.id, value: In(dropped) } });
          if (held) throw invalidInput("options", `users hold ${JSON.stringify(held.value)}: change their values before removing the option`);
        }
      }
      if (input.multiValued !== undefined && input.multiValued !== def.multiValued) {
        if (!input.multiValued) {
          const multi = await tx.manager
            .getRepository(CustomFieldValue)
            .createQueryBuilder("v")
            .select("v.userId")
            .where("v.fieldId = :f AND v.position > 0", { f: def.id })
            .limit(1)
            .getRawOne();
          if (multi) throw invalidInput("multiValued", `some users hold several values of "${key}": it cannot become single-valued`);
        }
        next.multiValued = input.multiValued;
      }
      const diff = diffFields(def as unknown as Record<string, unknown>, next as Record<string, unknown>);
      if (Object.keys(diff).length === 0) return def;
      Object.assign(def, next, { version: def.version + 1, updatedAt: new Date() });
      await repo.update({ id: def.id }, { ...next, version: def.version, updatedAt: def.updatedAt });
      await this.audit.record(tx, { action: "customField.updated", resourceType: "CustomFieldDefinition", resourceId: def.id, changes: diff });
      return def;
    }));
  }

  async delete(ctx: RequestContext, key: string): Promise<void> {
    await this.changing(ctx, () => this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(CustomFieldDefinition);
      const def = await this.byKey(tx, key, { lock: true });
      if (!def) throw notFound("CustomFieldDefinition", key);
      // Its holders' copies of their own rows (users.ownDetails) hold its values.
      await refillingOwnDetails(this.db, tx, "SELECT DISTINCT userId FROM custom_field_values WHERE fieldId = ? AND organisationId = ?", [def.id, tx.organisationId], async (userIds) => {
        // Each holder's value went: an audit event of theirs, as if they had cleared it.
        const held = new Map<string, CustomFieldValues>(userIds.map((id) => [id, {}]));
        const rows = await this.db.rows(tx, "SELECT userId, value, valueNumber FROM custom_field_values WHERE fieldId = ? AND organisationId = ? ORDER BY userId, position", [def.id, tx.organisationId]);
        for (const r of rows) {
          const values = held.get(String(r.userId));
          if (values) addStoredValue(values, def, { value: String(r.value), valueNumber: r.valueNumber === null || r.valueNumber === undefined ? null : Number(r.valueNumber) });
        }
        await tx.manager.getRepository(CustomFieldValue).delete({ fieldId: def.id });
        await this.audit.recordMany(
          tx,
          [...held].map(([userId, values]) => ({ action: "user.updated", resourceType: "User", resourceId: userId, changes: { [`customFields.${def.key}`]: { before: values[def.key] ?? null, after: null } } })),
        );
      });
      await repo.delete({ id: def.id });
      await this.audit.record(tx, { action: "customField.deleted", resourceType: "CustomFieldDefinition", resourceId: def.id, changes: { key: { before: key, after: null } } });
    }));
  }

  /**
   * The definition whose key is `key` in any letter case, as values are written (SCIM attribute
   * names are case-insensitive). The unique index alone followed the database's collation: case-
   * insensitive on MariaDB's default, exact on SQLite, where "skills" and "Skills" could both exist.
   */
  private async byKey(tx: RequestContext, key: string, options: { lock?: boolean } = {}): Promise<CustomFieldDefinition | undefined> {
    const lower = key.toLowerCase();
    // Locked (MariaDB) before anything else is read in the transaction: values being written hold
    // their definitions share-locked (`lockUnchanged`), so they have committed, and the checks that
    // follow (an option held, several values) see them; values written later see the change.
    const lock = options.lock && this.db.dialect === "mysql" ? { lock: { mode: "pessimistic_write" as const } } : {};
    return (await this.db.manager(tx).getRepository(CustomFieldDefinition).find({ where: { organisationId: tx.organisationId }, ...lock })).find((d) => d.key.toLowerCase() === lower);
  }

  /** Runs a change of definitions and forgets the cached ones, before and after it commits. */
  private async changing<T>(ctx: RequestContext, fn: () => Promise<T>): Promise<T> {
    this.cache.forget(ctx.organisationId);
    try {
      return await fn();
    } finally {
      this.cache.forget(ctx.organisationId);
    }
  }

  /**
   * Validates values against the definitions. `null` (or an empty array) clears a field; keys that
   * name no definition are refused, naming the key.
   */
  validate(definitions: CustomFieldDefinition[], input: Record<string, unknown>): Map<CustomFieldDefinition, CanonicalValue[]> {
    const byKey = new Map(definitions.map((d) => [d.key.toLowerCase(), d]));
    const result = new Map<CustomFieldDefinition, CanonicalValue[]>();
    // Every key's problems at once: a form marks each field it sent wrong.
    const problems = new InputProblems();
    for (const [rawKey, raw] of Object.entries(input)) {
      const def = byKey.get(rawKey.toLowerCase());
      const field = `customFields.${rawKey}`;
      if (!def) {
        problems.add(field, `no custom field "${rawKey}" is defined in this organisation`);
        continue;
      }
      if (raw === null || raw === undefined) {
        result.set(def, []);
        continue;
      }
      const list = Array.isArray(raw) ? raw : [raw];
      if (!def.multiValued && list.length > 1) problems.add(field, `"${def.key}" holds one value, ${list.length} were given`);
      else if (list.length > MAX_VALUES_PER_FIELD) problems.add(field, `"${def.key}" holds at most ${MAX_VALUES_PER_FIELD} values`);
      else {
        const values = problems.check(() => list.filter((v) => v !== null && v !== "").map((v) => canonicalValue(def, v, field)));
        if (values) result.set(def, values);
      }
    }
    problems.throwIfAny();
    return result;
  }

  /**
   * A filter's value, which is text, as a write of `def` would store the value it spells, or INVALID_INPUT
   * naming `field`: "true" or "FALSE" for a boolean, "42" for a number (as numberValue reads it).
   */
  canonicalOfText(def: CustomFieldDefinition, text: string, field: string): CanonicalValue {
    const value = def.type === "boolean" && /^(true|false)$/i.test(text) ? text.toLowerCase() === "true" : text;
    return canonicalValue(def, value, field);
  }

  /** Writes the validated values of one user, replacing only the fields named. */
  async writeValues(ctx: RequestContext & { manager: NonNullable<RequestContext["manager"]> }, userId: string, values: Map<CustomFieldDefinition, CanonicalValue[]>, options: { creating?: boolean } = {}): Promise<void> {
    if (values.size === 0) return;
    // Deferred statements (sent with the transaction's next one): nothing here is read back.
    const fieldIds = [...values.keys()].map((d) => d.id);
    // A new user has no values to delete, and the DELETE would gap-lock the index's end, where every
    // new user's rows go (ids are time-ordered): concurrent creates then deadlocked on their INSERTs.
    if (!options.creating)
      await this.db.write(ctx, `DELETE FROM custom_field_values WHERE userId = ? AND fieldId IN (${Database.placeholders(fieldIds.length)})`, [userId, ...fieldIds]);
    const rows: unknown[][] = [];
    for (const [def, list] of values)
      list.forEach((v, position) => rows.push([newId(), ctx.organisationId, userId, def.id, position, v.value, customValueKey(v.value), v.valueNumber]));
    if (rows.length) {
      await this.db.write(
        ctx,
        `INSERT INTO custom_field_values (id, organisationId, userId, fieldId, position, value, valueKey, valueNumber) VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        rows.flat(),
      );
    }
  }

  /** Values of many users at once, keyed by field key, typed by definition. */
  async valuesOfUsers(ctx: RequestContext, userIds: string[], definitions?: CustomFieldDefinition[]): Promise<Map<string, CustomFieldValues>> {
    const result = new Map<string, CustomFieldValues>(userIds.map((id) => [id, {}]));
    if (userIds.length === 0) return result;
    const rows = (
      await this.db.rows(ctx, `SELECT userId, fieldId, value, valueNumber FROM custom_field_values WHERE organisationId = ? AND userId IN (${Database.placeholders(userIds.length)}) ORDER BY position`, [
        ctx.organisationId,
        ...userIds,
      ])
    ).map((r) => ({ userId: String(r.userId), fieldId: String(r.fieldId), value: String(r.value), valueNumber: r.valueNumber === null || r.valueNumber === undefined ? null : Number(r.valueNumber) }));
    if (rows.length === 0) return result;
    const defs = new Map((definitions ?? (await this.list(ctx))).map((d) => [d.id, d]));
    for (const row of rows) {
      const values = result.get(row.userId);
      if (values) addStoredValue(values, defs.get(row.fieldId), row);
    }
    return result;
  }
}

/** One stored value row (in position order) into a user's values, typed by its definition. */
export function addStoredValue(values: CustomFieldValues, def: CustomFieldDefinition | undefined, row: Pick<CustomFieldValue, "value" | "valueNumber">): void {
  if (!def) return;
  const typed = typedValue(def, row);
  if (def.multiValued) ((values[def.key] ??= []) as CustomFieldScalar[]).push(typed);
  else values[def.key] = typed;
}

function canonicalValue(def: CustomFieldDefinition, v: unknown, field: string): CanonicalValue {
  const bad = (what: string) => invalidInput(field, `"${def.key}" expects ${what}, got ${JSON.stringify(v)}`);
  switch (def.type) {
    case "string": {
      // Text is a JSON string: 42 or true is not read as "42" or "true" (GraphQL clients send typed JSON).
      if (typeof v !== "string") throw bad("text");
      const s = v;
      if (characterCount(s) > MAX_VALUE_LENGTH) throw invalidInput(field, `"${def.key}" values are at most ${MAX_VALUE_LENGTH} characters`);
      return { value: s, valueNumber: null };
    }
    case "number": {
      const n = numberValue(v);
      if (n === undefined) throw bad("a number");
      return { value: String(n), valueNumber: n };
    }
    case "boolean": {
      // A JSON boolean only: "true" or "False" is not one (SCIM reads Entra's "True" in its adapter, with a note).
      if (typeof v !== "boolean") throw bad("true or false");
      return { value: String(v), valueNumber: null };
    }
    case "date": {
      // A day of the calendar: Date.parse rolls 2024-02-30 over to March 1st.
      if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(v) || Number.isNaN(Date.parse(v)) || !isCalendarDay(v.slice(0, 10))) throw bad("a date (YYYY-MM-DD)");
      return { value: v.slice(0, 10), valueNumber: null };
    }
    case "enum": {
      // An option is a string: 1 does not pick the option "1".
      const match = typeof v === "string" ? (def.options ?? []).find((o) => o.toLowerCase() === v.toLowerCase()) : undefined;
      if (match === undefined) throw bad(`one of ${(def.options ?? []).map((o) => JSON.stringify(o)).join(", ")}`);
      return { value: match, valueNumber: null };
    }
  }
}

function typedValue(def: CustomFieldDefinition, row: Pick<CustomFieldValue, "value" | "valueNumber">): CustomFieldScalar {
  if (def.type === "number") return row.valueNumber ?? Number(row.value);
  if (def.type === "boolean") return row.value === "true";
  return row.value;
}

/** A new definition as it is stored, or INVALID_INPUT naming every invalid field of it (it needs no reading). */
export function validateDefinition(input: CustomFieldDefinitionInput): { key: string; label: string; type: CustomFieldType; options: string[] | null; managedBy: ManagedBy } {
  const key = (input.key ?? "").trim();
  // Every invalid field of the definition at once (the console's form marks each).
  const problems = new InputProblems();
  if (!KEY.test(key)) problems.add("key", "key must start with a letter and contain only letters, digits and _ (at most 64)");
  const type = input.type ?? "string";
  const typeKnown = customFieldTypes.includes(type);
  if (!typeKnown) problems.add("type", `type must be one of ${customFieldTypes.join(", ")}`);
  // A label left out is the key (a bad key is reported once, not again as a bad label).
  const label = input.label === undefined || input.label === null ? key : problems.check(() => validateLabel(input.label!));
  const options = typeKnown ? problems.check(() => validateOptions(type, input.options ?? null)) : null;
  const managedBy = problems.check(() => validateManagedBy("managedBy", input.managedBy ?? "identityProvider"));
  problems.throwIfAny();
  return { key, label: label!, type, options: options ?? null, managedBy: managedBy! };
}

/**
 * The given label, options and managedBy of a definition as they are stored, or INVALID_INPUT naming
 * every invalid one. Options are checked against the field's type; without it (not read), not at all.
 */
export function validateDefinitionChanges(input: CustomFieldDefinitionInput, type?: CustomFieldType): Partial<Pick<CustomFieldDefinition, "label" | "options" | "managedBy">> {
  const problems = new InputProblems();
  const next: Partial<Pick<CustomFieldDefinition, "label" | "options" | "managedBy">> = {};
  if (input.label !== undefined) next.label = problems.check(() => validateLabel(input.label!));
  if (input.options !== undefined && type !== undefined) next.options = problems.check(() => validateOptions(type, input.options!));
  if (input.managedBy !== undefined) next.managedBy = problems.check(() => validateManagedBy("managedBy", input.managedBy!));
  problems.throwIfAny();
  return next;
}

function validateLabel(label: string): string {
  const l = label.trim();
  if (!l || characterCount(l) > 255) throw invalidInput("label", "label must be 1-255 characters");
  return l;
}

function validateOptions(type: CustomFieldType, options: string[] | null): string[] | null {
  if (type !== "enum") {
    if (options && options.length) throw invalidInput("options", "options are only for enum fields");
    return null;
  }
  // The list as sent is bounded before its items are read (GraphQL checks the same bound first).
  if ((options?.length ?? 0) > MAX_OPTIONS) throw invalidInput("options", TOO_MANY_OPTIONS);
  const list = [...new Set((options ?? []).map((o) => o.trim()).filter(Boolean))];
  if (list.length === 0) throw invalidInput("options", "an enum field needs at least one option");
  const long = list.find((o) => characterCount(o) > MAX_VALUE_LENGTH);
  if (long !== undefined) throw invalidInput("options", `options are at most ${MAX_VALUE_LENGTH} characters, as values are`);
  // Values match an option in any letter case: two options differing only by case could not be told apart.
  const lower = list.map((o) => o.toLowerCase());
  const twin = list.find((_, i) => lower.indexOf(lower[i]) !== i);
  if (twin !== undefined) throw invalidInput("options", `options differ only by letter case: ${JSON.stringify(twin)}`);
  return list;
}

function isCalendarDay(day: string): boolean {
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

const keyTaken = (key: string) => conflict("CustomFieldDefinition", "key", `a custom field with key "${key}" already exists (keys are unique regardless of letter case)`);
