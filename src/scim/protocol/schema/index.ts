export * from './types';
export * from './common-attributes';
export * from './core-user';
export * from './core-group';
export * from './enterprise-user';
export * from './custom-fields';
export * from './resource-schema';
export * from './discovery';
