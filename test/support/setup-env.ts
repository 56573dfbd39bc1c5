// Runs before every test file: decorator metadata (type-graphql, TypeORM) and quiet logs unless asked for.
import "reflect-metadata";

process.env.LOG_LEVEL ??= "silent";
