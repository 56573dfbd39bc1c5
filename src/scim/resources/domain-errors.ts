import { DomainError, assertNever, listProblems } from "../../domain/shared/domain-error";
import { isDatabaseUnavailable, isLockConflict } from "../../platform/database";
import { ScimError, forbidden, invalidFilter, invalidValue, notFound, preconditionFailed, unauthorized, uniqueness } from "../protocol";

/** Domain refusals in SCIM terms (RFC 7644 §3.12). A 409 always carries `uniqueness`, or IdPs retry forever. */
export function toScimError(err: DomainError): ScimError {
  switch (err.code) {
    case "INVALID_INPUT": {
      // Several fields: each with its own name (the message alone lists them without).
      const fields = err.details.fields ?? [];
      if (fields.length > 1) return invalidValue(listProblems(fields.map((f) => `${f.field}: ${f.message}`), err.details.moreProblems));
      return invalidValue(err.details.field ? `${err.details.field}: ${err.message}` : err.message);
    }
    case "NOT_FOUND":
      return notFound(err.message);
    case "CONFLICT":
      return uniqueness(err.message);
    case "VERSION_MISMATCH":
      return preconditionFailed(`${err.message}: read the resource again and retry with its current ETag`);
    case "FORBIDDEN":
      return forbidden(err.message);
    case "UNAUTHENTICATED":
      return unauthorized(err.message);
    case "QUERY_TOO_COSTLY":
      // Criteria come from a filter: the filter is what the client changes.
      return invalidFilter(err.message);
    default:
      return assertNever(err.code);
  }
}

/** Any error a handler threw, as a ScimError; undefined for the unexpected (a 500, logged by the caller). */
export function asScimError(err: unknown): ScimError | undefined {
  if (err instanceof ScimError) return err;
  if (err instanceof DomainError) return toScimError(err);
  return undefined;
}

/**
 * The database's "not now" (a lock conflict, or the database or Redis unreachable) as a 503: nothing
 * was written and the same request may pass when retried. Undefined for any other error.
 */
export function retryLaterScimError(err: unknown): ScimError | undefined {
  if (isDatabaseUnavailable(err)) return new ScimError(503, "the directory's storage (database or Redis) is unavailable; retry later");
  // IdPs retry a 503; a 409 would read as a uniqueness clash.
  if (isLockConflict(err)) return new ScimError(503, "a concurrent change to the same resources held this one back; nothing was written, retry");
  return undefined;
}
