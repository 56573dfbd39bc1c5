// Public surface of the SCIM protocol engine (RFC 7643 / RFC 7644). Imports nothing else from src/.
export * from './errors';
export * from './schema';
export * from './filter';
export * from './patch';
export * from './resource-body';
export * from './projection';
export * from './list';
export * from './bulk';
export * from './etag';
export { deepEqual, getKey as getCaseInsensitive, isObject, jsonNumber, parseDateTime, type Json } from './values';
