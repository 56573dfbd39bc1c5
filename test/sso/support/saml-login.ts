import request from "supertest";
import { type SamlInput, serviceProviderInfo } from "../../../src/domain/sso/identity-provider.service";
import type { TestApp, TestTenant } from "../../support/test-app";
import { type TestKey, authnRequestId, b64, buildResponseXml, signResponse } from "./fake-saml-idp";

export const IDP_ISSUER = "http://www.okta.com/exkSESSIONS";

export async function configureSaml(app: TestApp, t: TestTenant, key: TestKey, over: Partial<SamlInput> = {}) {
  return app.services.identityProviders.configureSaml(t.ctx, { idpSsoUrl: "https://acme.okta.example/sso/saml", idpEntityId: IDP_ISSUER, idpCertificates: [key.certPem], ...over });
}

/** A complete SP-initiated SAML sign-in (by the IdP `idpIssuer`, IDP_ISSUER by default); returns the browser (cookie jar) and the ACS response. */
export async function samlSignIn(
  app: TestApp,
  t: TestTenant,
  key: TestKey,
  nameId: string,
  headers: Record<string, string> = {},
  attributes?: Record<string, string>,
  idpIssuer = IDP_ISSUER,
) {
  const sp = serviceProviderInfo(app.config.publicUrl, t.organisation.slug);
  const browser = request.agent(app.url);
  const start = await browser.get(`/auth/saml/${t.organisation.slug}/login`).set(headers).expect(302);
  const xml = signResponse(buildResponseXml({ idpIssuer, spEntityId: sp.spEntityId, acsUrl: sp.acsUrl, nameId, attributes, inResponseTo: authnRequestId(start.headers.location) }), key);
  const response = await browser.post(`/auth/saml/${t.organisation.slug}/acs`).set(headers).type("form").send({ SAMLResponse: b64(xml) });
  return { browser, response };
}
