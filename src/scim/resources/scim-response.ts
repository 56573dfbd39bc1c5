import { type ScimError, weakEtag } from "../protocol";

/** A SCIM answer, independent of express: the HTTP layer and /Bulk both send it. */
export interface ScimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ScimRequest {
  method: string;
  /** e.g. `/Users/abc`, relative to the SCIM base. */
  path: string;
  id?: string;
  query: Record<string, unknown>;
  body: unknown;
  ifMatch?: string;
  ifNoneMatch?: string;
}

export const withEtag = (status: number, body: Record<string, unknown>, version: number, location?: string): ScimResponse => ({
  status,
  body,
  headers: { ETag: weakEtag(version), ...(location ? { Location: location } : {}) },
});

/** `W/"7"` → 7; `*` or absent → undefined (no precondition); anything else cannot match (412). */
export function expectedVersion(ifMatch: string | undefined, fail: () => ScimError): number | undefined {
  if (!ifMatch || ifMatch.trim() === "*") return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(ifMatch);
  if (!m) throw fail();
  return Number(m[1]);
}

export const isoTime = (d: Date) => d.toISOString();

export interface ProjectionParams {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** Whether a request narrows or widens what is returned (an empty list, as a list query parses an absent one, does not). */
export function isProjected(p: ProjectionParams): boolean {
  return (p.attributes?.length ?? 0) > 0 || (p.excludedAttributes?.length ?? 0) > 0;
}

/** `attributes` / `excludedAttributes` of a request (names case-insensitive, comma-separated or arrays). */
export function projectionOf(query: Record<string, unknown>): ProjectionParams {
  const split = (v: unknown) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : Array.isArray(v) ? v.map(String) : undefined);
  const find = (name: string) => Object.entries(query).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  return { attributes: split(find("attributes")), excludedAttributes: split(find("excludedAttributes")) };
}
