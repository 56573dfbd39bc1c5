import type { RequestContext } from "../../platform/request-context";

/** Who is calling an API: an admin token, or a signed-in user (admin or not). */
export interface Principal {
  context: RequestContext;
  /** May use the organisation's admin operations (admin token, or a user holding the `admin` role). */
  admin: boolean;
  /** The signed-in user, for sessions; null for tokens. */
  userId: string | null;
}
