// Roster's signing keys over months: each new key (every 30 days, or a rotation) deletes the keys
// past their expiry, which verify nothing any more. Real database (both passes); the issuer's `now`
// parameters stand for the months passing.
import { SigningKey } from "../../src/domain/oauth/signing-key.entity";
import { type TestApp, startTestApp } from "../support/test-app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const DAY = 86_400_000;
const kids = async () => (await app.dataSource.getRepository(SigningKey).find({ order: { createdAt: "ASC" } })).map((k) => k.kid);

test("a key past its expiry is deleted, private key and all, when the next key is made; a retired key still verifying stays", async () => {
  const start = new Date();
  const first = await app.services.accessTokens.rotate(start);
  // 31 days on: the first key stopped signing a day ago, and verifies tokens for its grace period yet.
  const second = await app.services.accessTokens.rotate(new Date(start.getTime() + 30 * DAY + 60_000));
  expect(await kids()).toEqual(expect.arrayContaining([first.kid, second.kid]));
  // 45 days on: the first key has expired (30 days + the longest token's lifetime); the second has not.
  const third = await app.services.accessTokens.rotate(new Date(start.getTime() + 45 * DAY));
  const left = await kids();
  // Before, every key stayed for good: a key pair a month.
  expect(left).not.toContain(first.kid);
  expect(left).toEqual(expect.arrayContaining([second.kid, third.kid]));
  expect((await app.services.accessTokens.jwks(new Date(start.getTime() + 45 * DAY))).keys.map((k) => k.kid)).toEqual([third.kid, second.kid]);
});
