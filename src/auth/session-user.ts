/** What a signed-in session remembers (in `req.session.passport.user`); roles are re-read from the database. */
export interface SessionUser {
  userId: string;
  organisationId: string;
  organisationSlug: string;
  userName: string;
  protocol: "saml" | "oidc";
  roles: string[];
  signedInAt: string;
}
