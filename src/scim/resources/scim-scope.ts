import type { Services } from "../../domain/services";
import type { CustomFieldDefinition } from "../../domain/custom-fields/custom-field-definition.entity";
import type { Organisation } from "../../domain/organisations/organisation.entity";
import type { RequestContext } from "../../platform/request-context";
import {
  CORE_GROUP_SCHEMA,
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  type ResourceSchema,
  type SchemaDefinition,
  customFieldExtensionSchema,
  extensionOf,
} from "../protocol";

export interface ScimLimits {
  maxResults: number;
  maxPayloadBytes: number;
  maxBulkOperations: number;
  maxPatchOperations: number;
  maxFilterLength: number;
  maxFilterDepth: number;
  /** Group members an answer reads at once; with more, they are streamed this many at a time. */
  membersInMemory: number;
}

/**
 * What SCIM reads of its organisation besides its id, carried from the token check (one statement,
 * cached) to every handler: a new setting is added here and in the token check's columns.
 * - `rolesManagedBy`: with `product`, SCIM writes leave roles alone.
 * - `hasNestedGroups`: only then do users' reads ask for indirect groups. Set by a group write, seen at
 *   once on the instance that made it and within TOKEN_CACHE_SECONDS on the others.
 */
export type ScimSettings = Pick<Organisation, "rolesManagedBy" | "hasNestedGroups">;

export const scimSettingsOf = (organisation: ScimSettings): ScimSettings => ({ rolesManagedBy: organisation.rolesManagedBy, hasNestedGroups: organisation.hasNestedGroups });

/** Everything a SCIM handler needs for one request: who asks, where the API lives, what was noticed. */
export interface ScimScope {
  ctx: RequestContext;
  services: Services;
  /** Absolute base of the SCIM API, e.g. https://roster.example/scim/v2 (for meta.location and $ref). */
  baseUrl: string;
  /** The product extension's URN (custom fields). */
  extensionUrn: string;
  limits: ScimLimits;
  /** The organisation's settings, from its token check (see ScimSettings). */
  settings: ScimSettings;
  /** How the request was read: the IdP quirks that applied (for the provisioning log). */
  notes: Set<string>;
  /** The resource the request was about, for the provisioning log. */
  resource?: { type: "User" | "Group"; id: string };
  /** Every resource a /Bulk touched, when more than one (for the provisioning log; `resource` is then unset). */
  resources?: string[];
}

/** Core attributes Roster does not store are left out of its schema, so discovery tells the truth. */
const NOT_STORED = new Set(["ims", "photos", "entitlements", "x509Certificates"]);

export const coreUserSchema: SchemaDefinition = {
  ...CORE_USER_SCHEMA,
  attributes: CORE_USER_SCHEMA.attributes.filter((a) => !NOT_STORED.has(a.name)),
};

/**
 * The core User schema that /Schemas shows an organisation managing its roles in the product:
 * `roles` is readOnly there, so an IdP that imports the schema knows its roles are not applied.
 * Writes are still read with `coreUserSchema` (roles readWrite): a PATCH of a readOnly attribute
 * would be a `mutability` error (RFC 7644 §3.5.2), and such writes must succeed with their roles left out.
 */
const coreUserSchemaRolesReadOnly: SchemaDefinition = {
  ...coreUserSchema,
  attributes: coreUserSchema.attributes.map((a) =>
    a.name !== "roles"
      ? a
      : {
          ...a,
          mutability: "readOnly",
          description: "Managed in the product: roles sent over SCIM are not applied",
          subAttributes: a.subAttributes?.map((sub) => ({ ...sub, mutability: "readOnly" as const })),
        },
  ),
};

/** The core User schema /Schemas shows the organisation (its roles' mutability depends on who manages them). */
export const discoveredCoreUserSchema = (scope: ScimScope): SchemaDefinition => (scope.settings.rolesManagedBy === "product" ? coreUserSchemaRolesReadOnly : coreUserSchema);

/** Entra adds its own group schema URN to group bodies; it is known, and has nothing Roster stores. */
export const ENTRA_GROUP_SCHEMA_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

export function productExtensionSchema(urn: string, definitions: CustomFieldDefinition[]): SchemaDefinition {
  return customFieldExtensionSchema(
    urn,
    definitions.map((d) => ({ key: d.key, label: d.label, type: d.type, multiValued: d.multiValued, options: d.options ?? undefined })),
    "Product custom fields",
  );
}

/**
 * The product extension /Schemas shows: a field managed in the product (`managedBy: product`) is
 * readOnly there, so an IdP that imports the schema knows its values are not applied. Writes are
 * still read with `productExtensionSchema` (readWrite), as roles are (see coreUserSchemaRolesReadOnly).
 */
export function discoveredProductExtensionSchema(urn: string, definitions: CustomFieldDefinition[]): SchemaDefinition {
  const schema = productExtensionSchema(urn, definitions);
  const product = new Set(definitions.filter((d) => d.managedBy === "product").map((d) => d.key));
  if (product.size === 0) return schema;
  return {
    ...schema,
    attributes: schema.attributes.map((a) => (product.has(a.name) ? { ...a, mutability: "readOnly", description: `${a.description ?? a.name} (managed in the product: values sent over SCIM are not applied)` } : a)),
  };
}

export function userSchemaFor(urn: string, definitions: CustomFieldDefinition[]): ResourceSchema {
  return {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    core: coreUserSchema,
    extensions: [extensionOf(ENTERPRISE_USER_SCHEMA), extensionOf(productExtensionSchema(urn, definitions))],
  };
}

export const groupSchema: ResourceSchema = { name: "Group", endpoint: "/Groups", description: "Group", core: CORE_GROUP_SCHEMA, extensions: [] };

/** Built once per list of definitions: the domain hands out the same (cached) array until they change. */
const schemasByDefinitions = new WeakMap<CustomFieldDefinition[], Map<string, ResourceSchema>>();

export async function userSchema(scope: ScimScope): Promise<{ schema: ResourceSchema; definitions: CustomFieldDefinition[] }> {
  const definitions = await scope.services.customFields.list(scope.ctx);
  let byUrn = schemasByDefinitions.get(definitions);
  if (!byUrn) schemasByDefinitions.set(definitions, (byUrn = new Map()));
  let schema = byUrn.get(scope.extensionUrn);
  if (!schema) byUrn.set(scope.extensionUrn, (schema = userSchemaFor(scope.extensionUrn, definitions)));
  return { schema, definitions };
}
