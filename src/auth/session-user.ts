/** What a signed-in session remembers (in `req.session.passport.user`); roles are re-read from the database. */
export interface SessionUser {
  userId: string;
  organisationId: string;
  organisationSlug: string;
  userName: string;
  protocol: "saml" | "oidc";
  /**
   * The IdP configuration signed in through, and its `identityVersion` then: the session is over once
   * that configuration is deleted or replaced with another IdP. Absent in sessions signed in before
   * they were recorded: those last while the organisation's IdP of their `protocol` is the one it had
   * at the upgrade.
   */
  identityProviderId?: string;
  identityVersion?: string;
  roles: string[];
  signedInAt: string;
}
