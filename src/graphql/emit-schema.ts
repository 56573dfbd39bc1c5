// `npm run schema:emit`: rewrites schema/schema.graphql from the resolvers.
import "reflect-metadata";
import { buildGraphqlSchema, SCHEMA_FILE } from "./schema";

buildGraphqlSchema({ emit: true }).then(
  () => console.log(`wrote ${SCHEMA_FILE}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
