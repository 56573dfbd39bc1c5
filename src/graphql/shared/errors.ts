import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { DomainError, type DomainErrorCode, assertNever } from "../../domain/shared/domain-error";
import { isDatabaseUnavailable, isLockConflict } from "../../platform/database";
import type { Logger } from "../../platform/logger";

export type GraphqlErrorCode = "BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT" | "UNAUTHENTICATED" | "FORBIDDEN" | "SERVICE_UNAVAILABLE" | "INTERNAL_SERVER_ERROR";

export function graphqlCode(code: DomainErrorCode): GraphqlErrorCode {
  switch (code) {
    case "INVALID_INPUT":
    case "QUERY_TOO_COSTLY":
      return "BAD_USER_INPUT";
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "CONFLICT":
    case "VERSION_MISMATCH":
      return "CONFLICT";
    case "FORBIDDEN":
      return "FORBIDDEN";
    case "UNAUTHENTICATED":
      return "UNAUTHENTICATED";
    default:
      return assertNever(code);
  }
}

/**
 * Every error leaves with `extensions.code`; domain errors keep their message and field; anything
 * unexpected becomes a generic message (logged once here, with the request id, never shown).
 */
export function formatGraphqlError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof DomainError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: {
          code: graphqlCode(original.code),
          ...(original.details.field ? { field: original.details.field } : {}),
          // Several invalid fields (INVALID_INPUT): each with its message, so a form marks them all from
          // one answer. A single one is `field` and the message, as ever.
          ...(original.details.fields && original.details.fields.length > 1 ? { fields: original.details.fields } : {}),
          // A CONFLICT a UI can tell from a uniqueness clash without reading the message: someone else changed it.
          ...(original.code === "VERSION_MISMATCH" ? { reason: "VERSION_MISMATCH", currentVersion: original.details.currentVersion } : {}),
        },
      };
    }
    if (isDatabaseUnavailable(original)) {
      // Retryable: the client should try again later (the same case is a SCIM 503 with Retry-After).
      logger.warn({ path: formatted.path }, "GraphQL request failed: the database is unavailable");
      return { message: "The directory's storage (database or Redis) is unavailable; retry later", locations: formatted.locations, path: formatted.path, extensions: { code: "SERVICE_UNAVAILABLE" } };
    }
    if (isLockConflict(original)) {
      return { message: "A concurrent change to the same records held this one back; nothing was written, retry", locations: formatted.locations, path: formatted.path, extensions: { code: "SERVICE_UNAVAILABLE" } };
    }
    const code = formatted.extensions?.code;
    if (code && code !== "INTERNAL_SERVER_ERROR") return formatted; // parse/validation errors of the query itself
    logger.error({ err: original, path: formatted.path }, "unexpected GraphQL error");
    return { message: "Internal server error", locations: formatted.locations, path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
