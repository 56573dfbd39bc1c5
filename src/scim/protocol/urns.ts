// Schema and message URNs of RFC 7643 / RFC 7644.
export const URN_CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const URN_CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const URN_ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const URN_SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const URN_RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const URN_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const URN_LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const URN_SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const URN_PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const URN_BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const URN_BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
export const URN_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
