// A local OpenID Provider shaped like Microsoft Entra ID v2.0 (panva's oidc-provider, test-only):
// issuer http://127.0.0.1:<port>/<tenantId>/v2.0; the id_token carries tid, oid, preferred_username,
// email and name, as Entra puts them there. The "login page" is two routes the test drives.
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

export interface FakeAccount {
  name: string;
  email: string;
  upn: string;
  /** Defaults to the IdP's tenant; set to impersonate a user of another directory. */
  tid?: string;
}

export interface FakeEntra {
  issuer: string;
  tenantId: string;
  origin: string;
  /** Requests it has received (Roster's and the browser's). */
  readonly requests: number;
  close(): Promise<void>;
}

/** oidc-provider's development warnings (Node 20 runtime, in-memory adapter, default TTLs) are noise in test output. */
function quietOidcProviderNotices() {
  for (const level of ["warn", "info"] as const) {
    const original = console[level].bind(console);
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith("oidc-provider ")) return;
      original(...args);
    });
  }
}

/**
 * `publishesAnotherKey`: its JWKS shows, under the signing key's kid, a key that did not sign: the
 * id_tokens it issues are what a forger with a published kid would send.
 */
export async function startFakeEntra(opts: { tenantId: string; clientId: string; clientSecret: string; redirectUris: string[]; accounts: Record<string, FakeAccount>; publishesAnotherKey?: boolean }): Promise<FakeEntra> {
  quietOidcProviderNotices();
  const app = express();
  let requests = 0;
  app.use((_req, _res, next) => {
    requests++;
    next();
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const base = `/${opts.tenantId}/v2.0`;
  const issuer = `http://127.0.0.1:${port}${base}`;

  const signing = { ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey)), kid: "fake-entra-1", alg: "RS256", use: "sig" };
  const provider = new Provider(issuer, {
    jwks: { keys: [signing] },
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: opts.redirectUris,
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    claims: { openid: ["sub", "tid", "oid"], email: ["email"], profile: ["name", "preferred_username"] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${base}/interaction/${interaction.uid}` },
    cookies: { keys: ["fake-entra-test-key"] },
    async findAccount(_ctx, sub) {
      const a = opts.accounts[sub];
      if (!a) return undefined;
      return { accountId: sub, claims: async () => ({ sub: `pairwise-${sub}`, oid: sub, tid: a.tid ?? opts.tenantId, name: a.name, email: a.email, preferred_username: a.upn }) };
    },
  });
  provider.on("server_error", (_ctx, err) => console.error("fake-entra server_error", err));

  app.get(`${base}/interaction/:uid`, async (req, res, next) => {
    try {
      const d = await provider.interactionDetails(req, res);
      res.json({ uid: d.uid, prompt: d.prompt.name, client_id: d.params.client_id });
    } catch (e) {
      next(e);
    }
  });
  app.post(`${base}/interaction/:uid/login`, express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      const d = await provider.interactionDetails(req, res);
      const accountId = String(req.body.login);
      const grant = new provider.Grant({ accountId, clientId: String(d.params.client_id) });
      grant.addOIDCScope(String(d.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (e) {
      next(e);
    }
  });
  if (opts.publishesAnotherKey) {
    const other = await exportJWK((await generateKeyPair("RS256", { extractable: true })).publicKey);
    app.get(`${base}/jwks`, (_req, res) => void res.json({ keys: [{ ...other, kid: signing.kid, alg: "RS256", use: "sig" }] }));
  }
  app.use(base, provider.callback());

  return {
    issuer,
    tenantId: opts.tenantId,
    origin: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
