/** The closed list of ways a domain rule can refuse; adapters map each to their protocol. */
export type DomainErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "INVALID_INPUT"
  | "FORBIDDEN"
  | "VERSION_MISMATCH"
  | "UNAUTHENTICATED";

export interface DomainErrorDetails {
  /** The input field at fault (e.g. `userName`, `emails[1].value`, `customFields.area`). */
  field?: string;
  /** The kind of resource concerned (e.g. `User`, `Group`). */
  resource?: string;
  /** VERSION_MISMATCH: the version the resource is at, to read it again or show who changed it. */
  currentVersion?: number;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (resource: string, id: string) =>
  new DomainError("NOT_FOUND", `${resource} ${JSON.stringify(id)} not found`, { resource });

export const invalidInput = (field: string, message: string) => new DomainError("INVALID_INPUT", message, { field });

export const conflict = (resource: string, field: string, message: string) =>
  new DomainError("CONFLICT", message, { resource, field });

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
