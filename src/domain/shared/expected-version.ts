import { DomainError } from "./domain-error";

/** The version a write expects the resource at; with a list, any of them (a SCIM If-Match may list several). */
export type ExpectedVersion = number | readonly number[];

/** The resources that carry a version, and how a refusal names each. */
const NOUNS = { User: "user", Group: "group", Role: "role", CustomFieldDefinition: "custom field", Organisation: "organisation" } as const;

/** Refuses the write (VERSION_MISMATCH) when the stored version is not the one, or one of those, expected. */
export function assertExpectedVersion(resource: keyof typeof NOUNS, id: string, version: number, expected: ExpectedVersion | undefined): void {
  if (expected === undefined) return;
  if (typeof expected === "number" ? expected === version : expected.includes(version)) return;
  const wanted = typeof expected === "number" ? String(expected) : expected.join(" or ") || "a version it can have";
  throw new DomainError("VERSION_MISMATCH", `${NOUNS[resource]} ${id} is at version ${version}, not ${wanted}`, { resource, currentVersion: version });
}
