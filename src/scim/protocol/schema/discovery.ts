import { URN_RESOURCE_TYPE, URN_SCHEMA, URN_SERVICE_PROVIDER_CONFIG } from '../urns';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from './types';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

function renderAttribute(a: AttributeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description ?? '',
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
  };
  if (a.canonicalValues) out['canonicalValues'] = [...a.canonicalValues];
  if (a.referenceTypes) out['referenceTypes'] = [...a.referenceTypes];
  if (a.subAttributes) out['subAttributes'] = a.subAttributes.map(renderAttribute);
  return out;
}

/** A /Schemas entry (RFC 7643 §7); `baseUrl` is the SCIM root, e.g. https://host/scim/v2. */
export function renderSchema(schema: SchemaDefinition, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [URN_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description ?? '',
    attributes: schema.attributes.map(renderAttribute),
    meta: { resourceType: 'Schema', location: `${trimSlash(baseUrl)}/Schemas/${schema.id}` },
  };
}

/** A /ResourceTypes entry (RFC 7643 §6). */
export function renderResourceType(schema: ResourceSchema, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [URN_RESOURCE_TYPE],
    id: schema.name,
    name: schema.name,
    endpoint: schema.endpoint,
    description: schema.description ?? schema.name,
    schema: schema.core.id,
    schemaExtensions: schema.extensions.map((e) => ({ schema: e.schemaUrn, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${trimSlash(baseUrl)}/ResourceTypes/${schema.name}` },
  };
}

export interface ServiceProviderConfigOptions {
  baseUrl: string;
  documentationUri?: string;
  patch?: boolean;
  bulk: { supported?: boolean; maxOperations: number; maxPayloadSize: number };
  filter: { supported?: boolean; maxResults: number };
  sort?: boolean;
  etag?: boolean;
  /** Defaults to a single OAuth bearer token scheme. */
  authenticationSchemes?: AuthenticationScheme[];
}

/** RFC 7643 §5 `authenticationSchemes` entry. */
export interface AuthenticationScheme {
  type: 'oauth' | 'oauth2' | 'oauthbearertoken' | 'httpbasic' | 'httpdigest';
  name: string;
  description: string;
  specUri?: string;
  documentationUri?: string;
  primary?: boolean;
}

/** RFC 7643 §5; bearer tokens are the authentication scheme unless others are given. */
export function serviceProviderConfig(opts: ServiceProviderConfigOptions): Record<string, unknown> {
  const config: Record<string, unknown> = {
    schemas: [URN_SERVICE_PROVIDER_CONFIG],
    patch: { supported: opts.patch ?? true },
    bulk: {
      supported: opts.bulk.supported ?? true,
      maxOperations: opts.bulk.maxOperations,
      maxPayloadSize: opts.bulk.maxPayloadSize,
    },
    filter: { supported: opts.filter.supported ?? true, maxResults: opts.filter.maxResults },
    changePassword: { supported: false },
    sort: { supported: opts.sort ?? true },
    etag: { supported: opts.etag ?? true },
    authenticationSchemes: opts.authenticationSchemes ?? [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication scheme using the OAuth Bearer Token Standard',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${trimSlash(opts.baseUrl)}/ServiceProviderConfig` },
  };
  if (opts.documentationUri !== undefined) config['documentationUri'] = opts.documentationUri;
  return config;
}
