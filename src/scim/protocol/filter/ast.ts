import type { AttrPath } from '../schema/resource-schema';

export type { AttrPath };

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = string | number | boolean | null;

export interface CompareFilter {
  kind: 'compare';
  path: AttrPath;
  op: CompareOp;
  value: CompValue;
}
export interface PresentFilter {
  kind: 'present';
  path: AttrPath;
}
export interface LogicalFilter {
  kind: 'and' | 'or';
  left: Filter;
  right: Filter;
}
export interface NotFilter {
  kind: 'not';
  filter: Filter;
}
/** `emails[type eq "work"]`: inner paths are relative to the multi-valued attribute. */
export interface ValuePathFilter {
  kind: 'valuePath';
  path: AttrPath;
  filter: Filter;
}

export type Filter = CompareFilter | PresentFilter | LogicalFilter | NotFilter | ValuePathFilter;

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
