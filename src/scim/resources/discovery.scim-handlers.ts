import {
  CORE_GROUP_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  listResponse,
  notFound,
  renderResourceType,
  renderSchema,
  serviceProviderConfig,
} from "../protocol";
import { type ScimScope, discoveredCoreUserSchema, discoveredProductExtensionSchema, groupSchema, userSchema } from "./scim-scope";
import type { ScimResponse } from "./scim-response";

/** What Roster implements, as RFC 7643 §5 asks: clients (Okta's schema import, Entra) read it. */
export function getServiceProviderConfig(scope: ScimScope): ScimResponse {
  return {
    status: 200,
    body: serviceProviderConfig({
      baseUrl: scope.baseUrl,
      bulk: { maxOperations: scope.limits.maxBulkOperations, maxPayloadSize: scope.limits.maxPayloadBytes },
      filter: { maxResults: scope.limits.maxResults },
      patch: true,
      sort: true,
      etag: true,
      authenticationSchemes: [
        {
          type: "oauthbearertoken",
          name: "SCIM token",
          description: "A static bearer token of the organisation (Authorization: Bearer rst_scim_…)",
          specUri: "https://www.rfc-editor.org/info/rfc6750",
          primary: true,
        },
        {
          type: "oauth2",
          name: "OAuth 2.0 client credentials",
          description: "An access token from the token endpoint (client secret or an Entra workload identity federation assertion)",
          specUri: "https://www.rfc-editor.org/info/rfc6749",
          documentationUri: `${scope.baseUrl.replace(/\/scim\/v2$/, "")}/.well-known/oauth-authorization-server`,
        },
      ],
    }),
  };
}

export async function getResourceTypes(scope: ScimScope, id?: string): Promise<ScimResponse> {
  const types = [renderResourceType((await userSchema(scope)).schema, scope.baseUrl), renderResourceType(groupSchema, scope.baseUrl)];
  if (id === undefined) return { status: 200, body: listResponse(types, types.length, 1) };
  const one = types.find((t) => String(t.id).toLowerCase() === id.toLowerCase());
  if (!one) throw notFound(`no resource type ${JSON.stringify(id)}`);
  return { status: 200, body: one };
}

/**
 * The product extension lists the organisation's own custom fields, so Okta's "Import User Schema"
 * finds them; `roles` is readOnly where the organisation manages roles in the product, and so is
 * each custom field managed in the product.
 */
export async function getSchemas(scope: ScimScope, id?: string): Promise<ScimResponse> {
  const definitions = await scope.services.customFields.list(scope.ctx);
  const schemas = [discoveredCoreUserSchema(scope), ENTERPRISE_USER_SCHEMA, discoveredProductExtensionSchema(scope.extensionUrn, definitions), CORE_GROUP_SCHEMA].map((s) => renderSchema(s, scope.baseUrl));
  if (id === undefined) return { status: 200, body: listResponse(schemas, schemas.length, 1) };
  const one = schemas.find((s) => String(s.id).toLowerCase() === id.toLowerCase());
  if (!one) throw notFound(`no schema ${JSON.stringify(id)}`);
  return { status: 200, body: one };
}
