import type { EntityManager } from "typeorm";

/** Where a change came from; recorded on every audit event. */
export type ChangeSource = "graphql" | "scim" | "sso" | "cli" | "system" | "oauth";

export interface Actor {
  type: "token" | "user" | "system";
  id: string | null;
  /** Human readable: a token's name and prefix, a user's userName. */
  label: string;
}

/**
 * Everything a domain call needs to know about who is asking. The organisation comes only from
 * here (a token or a session decided it), never from input.
 */
export interface RequestContext {
  organisationId: string;
  actor: Actor;
  source: ChangeSource;
  requestId: string;
  /** Set while a transaction is open: services join it instead of opening their own. */
  manager?: EntityManager;
}

export const systemActor: Actor = { type: "system", id: null, label: "system" };
