import http from "node:http";
import type { AddressInfo } from "node:net";
import { NonPublicAddressError, isPublicAddress, nonPublicHost, nonPublicResolution, publicFetch } from "./public-network";

test.each([
  // loopback, private (RFC 1918), link-local (cloud metadata), shared, unspecified, multicast, reserved, documentation
  "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
  "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
  "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
  // IPv4 inside IPv6: mapped, compatible, NAT64, 6to4
  "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
  "not an address", "",
])("%s is not public", (ip) => expect(isPublicAddress(ip)).toBe(false));

test.each(["8.8.8.8", "20.190.128.1", "172.32.0.1", "100.128.0.1", "2603:1030::1", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"])("%s is public", (ip) => expect(isPublicAddress(ip)).toBe(true));

test.each([
  ["https://127.0.0.1/keys", true], ["https://2130706433/keys", true], ["https://0x7f.1/keys", true], ["https://[::1]/keys", true],
  ["https://[::ffff:169.254.169.254]/keys", true], ["https://169.254.169.254/latest/meta-data", true], ["https://localhost/keys", true],
  ["https://LOCALHOST./keys", true], ["https://idp.localhost/keys", true], ["https://10.1.2.3:8443/keys", true],
  ["https://login.microsoftonline.com/common/discovery/v2.0/keys", false], ["https://8.8.8.8/keys", false],
])("nonPublicHost(%s): %s", (url, refused) => expect(nonPublicHost(new URL(url)) !== null).toBe(refused));

test("a name is refused when any of its addresses is not public; one that does not resolve is left to the request", async () => {
  const resolve = async (h: string) => (h === "internal.example" ? [{ address: "8.8.8.8", family: 4 }, { address: "10.0.0.5", family: 4 }] : [{ address: "8.8.8.8", family: 4 }]);
  expect(await nonPublicResolution("internal.example", 1000, resolve)).toMatch(/10\.0\.0\.5/);
  expect(await nonPublicResolution("public.example", 1000, resolve)).toBeNull();
  expect(await nonPublicResolution("nowhere.example", 1000, async () => Promise.reject(new Error("ENOTFOUND")))).toBeNull();
  expect(await nonPublicResolution("slow.example", 50, () => new Promise(() => undefined))).toBeNull();
});

describe("publicFetch", () => {
  let server: http.Server;
  let port: number;
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests++;
      if (req.url === "/big") return res.end("x".repeat(5000));
      if (req.url === "/moved") return res.writeHead(302, { location: "http://127.0.0.1/" }).end();
      if (req.url === "/empty") return res.writeHead(204).end();
      if (req.url === "/token") {
        // What a token endpoint sees and answers: the form, client authentication, an OAuth error with a DPoP challenge.
        const parts: Buffer[] = [];
        req.on("data", (c: Buffer) => parts.push(c));
        req.on("end", () => {
          const seen = { method: req.method, type: req.headers["content-type"], length: req.headers["content-length"], authorization: req.headers.authorization, form: Buffer.concat(parts).toString() };
          res.writeHead(400, [["content-type", "application/json"], ["www-authenticate", 'DPoP error="use_dpop_nonce"'], ["dpop-nonce", "n-1"], ["cache-control", "no-store"], ["x-seen", JSON.stringify(seen)]]);
          res.end(JSON.stringify({ error: "invalid_grant", big: "y".repeat(2000) }));
        });
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [], ua: req.headers["user-agent"] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const init = () => ({ method: "GET", headers: new Headers({ "user-agent": "roster-test" }), signal: AbortSignal.timeout(2000) });

  test("a name that resolves to a private address is refused before any connection, whatever was checked before", async () => {
    const before = requests;
    const get = publicFetch({ allowPrivate: false, maxBytes: 1024, resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    await expect(get(`http://rebound.example:${port}/keys`, init())).rejects.toBeInstanceOf(NonPublicAddressError);
    await expect(get(`http://127.0.0.1:${port}/keys`, init())).rejects.toBeInstanceOf(NonPublicAddressError);
    await expect(get(`http://[::ffff:7f00:1]:${port}/keys`, init())).rejects.toBeInstanceOf(NonPublicAddressError);
    expect(requests).toBe(before);
  });

  test("allowed (tests, development): GETs through the resolved address; redirects are not followed; a large answer fails like a network error", async () => {
    const get = publicFetch({ allowPrivate: true, maxBytes: 1024, resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    const res = await get(`http://fake-idp.example:${port}/keys`, init());
    expect([res.status, await res.json()]).toEqual([200, { keys: [], ua: "roster-test" }]);
    expect((await get(`http://fake-idp.example:${port}/moved`, init())).status).toBe(302);
    await expect(get(`http://fake-idp.example:${port}/big`, init())).rejects.toBeInstanceOf(TypeError);
    await expect(get(`http://127.0.0.1:1/keys`, init())).rejects.toBeInstanceOf(TypeError);
  });

  test("openid-client's token request: a POST with its form and headers as given; the error answer with its status, headers and body", async () => {
    const post = publicFetch({ allowPrivate: true, maxBytes: 4096, resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    const form = new URLSearchParams({ grant_type: "authorization_code", code: "c 1", client_secret: "s&x" });
    const res = await post(`http://fake-idp.example:${port}/token`, { method: "POST", headers: { accept: "application/json", authorization: "Basic abc" }, body: form, redirect: "manual", signal: AbortSignal.timeout(2000) });
    expect([res.status, res.headers.get("content-type"), res.headers.get("www-authenticate"), res.headers.get("dpop-nonce")]).toEqual([400, "application/json", 'DPoP error="use_dpop_nonce"', "n-1"]);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    const form64 = form.toString();
    expect(JSON.parse(res.headers.get("x-seen")!)).toEqual({ method: "POST", type: "application/x-www-form-urlencoded;charset=UTF-8", length: String(form64.length), authorization: "Basic abc", form: form64 });
    expect((await post(`http://fake-idp.example:${port}/empty`, { method: "GET", headers: {} })).status).toBe(204);
    // The cap holds for an error answer too; a refused host is refused for a POST as for a GET, before any request.
    await expect(publicFetch({ allowPrivate: true, maxBytes: 1024, resolve: async () => [{ address: "127.0.0.1", family: 4 }] })(`http://fake-idp.example:${port}/token`, { method: "POST", headers: {}, body: "x=1" })).rejects.toBeInstanceOf(TypeError);
    const before = requests;
    const strict = publicFetch({ allowPrivate: false, maxBytes: 4096, resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    await expect(strict(`http://idp.example:${port}/token`, { method: "POST", headers: {}, body: form })).rejects.toThrow(/idp\.example resolves to 127\.0\.0\.1/);
    expect(requests).toBe(before);
  });

  test("an aborted request rejects with the signal's reason, as fetch does (a TimeoutError stays one)", async () => {
    const get = publicFetch({ allowPrivate: true, maxBytes: 1024, resolve: () => new Promise(() => undefined) });
    await expect(get(`http://stuck.example:${port}/keys`, { ...init(), signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: "TimeoutError" });
  });
});
