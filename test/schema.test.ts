import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildSchema } from "type-graphql";
import { SCHEMA_FILE, resolvers } from "../src/graphql/schema";

test("the checked-in schema/schema.graphql is what the resolvers emit (run `npm run schema:emit` after changing them)", async () => {
  const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "roster-sdl-")), "schema.graphql");
  await buildSchema({ resolvers, validate: { forbidUnknownValues: false }, emitSchemaFile: { path: fresh, sortedSchema: true } });
  expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(fs.readFileSync(fresh, "utf8"));
});
