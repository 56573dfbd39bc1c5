#!/usr/bin/env node
// `npm run --silent roster -- <command>`: administration on the same DATABASE_URL as the server.
import "reflect-metadata";
import { runCli } from "./run-cli";

runCli(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }).then((code) => {
  process.exitCode = code;
});
