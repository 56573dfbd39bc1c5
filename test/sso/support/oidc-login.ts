import request from "supertest";
import type { FakeEntra } from "./fake-entra";

/** A URL's path and query, for a supertest agent bound to its origin. */
export const rel = (u: string) => {
  const x = new URL(u);
  return x.pathname + x.search;
};

/** Plays the browser: Roster (`rosterUrl`) → the fake Entra's login as `account` → back to Roster's callback (not yet followed). */
export async function oidcLoginAtIdp(rosterUrl: string, idp: FakeEntra, slug: string, account: string) {
  const browser = request.agent(rosterUrl);
  const atIdp = request.agent(idp.origin);
  const r1 = await browser.get(`/auth/oidc/${slug}/login`).expect(302);
  const authUrl = new URL(r1.headers.location);
  const r2 = await atIdp.get(rel(authUrl.href)).expect(303);
  const interaction = new URL(r2.headers.location, authUrl).href;
  await atIdp.get(rel(interaction)).expect(200);
  const r4 = await atIdp.post(rel(interaction) + "/login").type("form").send({ login: account }).expect(303);
  const r5 = await atIdp.get(rel(new URL(r4.headers.location, authUrl).href)).expect(303);
  return { browser, authUrl, callback: new URL(r5.headers.location) };
}

/** A complete OIDC sign-in; returns the browser (cookie jar) and the callback's response. */
export async function oidcSignIn(rosterUrl: string, idp: FakeEntra, slug: string, account: string) {
  const { browser, callback } = await oidcLoginAtIdp(rosterUrl, idp, slug, account);
  const response = await browser.get(rel(callback.href));
  return { browser, response };
}
