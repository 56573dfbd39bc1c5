/** The closed list of ways a domain rule can refuse; adapters map each to their protocol. */
export type DomainErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "INVALID_INPUT"
  | "FORBIDDEN"
  | "VERSION_MISMATCH"
  | "UNAUTHENTICATED"
  /** A query that would compare too much of the directory without an index (MAX_UNINDEXED_COMPARISONS). */
  | "QUERY_TOO_COSTLY";

/** One invalid input field and what is wrong with it. */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface DomainErrorDetails {
  /** The input field at fault (e.g. `userName`, `emails[1].value`, `customFields.area`); the first of `fields`. */
  field?: string;
  /** INVALID_INPUT: every invalid field found, in input order (a form marks them all at once). */
  fields?: FieldProblem[];
  /** INVALID_INPUT: how many more problems there were than `fields` lists (MAX_FIELD_PROBLEMS). */
  moreProblems?: number;
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

export const invalidInput = (field: string, message: string) => new DomainError("INVALID_INPUT", message, { field, fields: [{ field, message }] });

/** At most this many problems are reported: the rest of a 50-item list of bad emails adds nothing. */
export const MAX_FIELD_PROBLEMS = 20;

/** One INVALID_INPUT for several fields: its message lists them all, `field` names the first. */
export function invalidInputs(problems: readonly FieldProblem[]): DomainError {
  const listed = problems.slice(0, MAX_FIELD_PROBLEMS);
  const moreProblems = problems.length - listed.length;
  const message = listed.length === 1 ? listed[0].message : listProblems(listed.map((p) => p.message), moreProblems);
  return new DomainError("INVALID_INPUT", message, { field: listed[0]?.field, fields: listed, ...(moreProblems ? { moreProblems } : {}) });
}

/** Problems as one sentence: "a; b; and 3 more". */
export function listProblems(messages: string[], moreProblems = 0): string {
  return messages.join("; ") + (moreProblems ? `; and ${moreProblems} more` : "");
}

/**
 * The problems of one input, gathered rather than thrown at the first, so that a caller (a form)
 * learns every invalid field in one answer. `check` runs a validation that throws INVALID_INPUT and
 * records what it throws; anything else propagates.
 */
export class InputProblems {
  private readonly problems: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  /** Runs `validate`; its INVALID_INPUT is recorded (undefined returned), other errors are thrown. */
  check<T>(validate: () => T): T | undefined {
    try {
      return validate();
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== "INVALID_INPUT") throw err;
      this.problems.push(...(err.details.fields ?? [{ field: err.details.field ?? "", message: err.message }]));
      return undefined;
    }
  }

  get any(): boolean {
    return this.problems.length > 0;
  }

  /** Throws one INVALID_INPUT naming every problem, if there is any. */
  throwIfAny(): void {
    if (this.problems.length) throw invalidInputs(this.problems);
  }
}
export const conflict = (resource: string, field: string, message: string) =>
  new DomainError("CONFLICT", message, { resource, field });

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
