import "reflect-metadata";
import { userFromRow } from "./user.rows";
import { userTextFields } from "./user.service";

test("userFromRow reads every text attribute of a user (its assignments are written out one by one)", () => {
  const row: Record<string, unknown> = { id: "u1", organisationId: "o", userName: "a", userNameKey: "a", active: 1, version: 1, createdAt: new Date(), updatedAt: new Date() };
  for (const f of userTextFields) row[f] = `${f}!`;
  const user = userFromRow(row);
  for (const f of userTextFields) expect([f, user[f]]).toEqual([f, `${f}!`]);
});
