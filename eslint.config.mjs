// Lint, and the architecture's boundaries: adapters import domain/ and platform/, never each other;
// scim/protocol/ is a pure RFC engine that imports nothing of the rest (see shared CONVENTIONS).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const adapter = (self, others) => ({
  files: [`src/${self}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", { patterns: others.map((o) => ({ group: [`**/${o}/**`, `**/${o}`], message: `${self}/ must not import ${o}/: share code through domain/ or platform/` })) }],
  },
});

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "data/**", "coverage/**", "test-output/**", "migrations/**", "bench-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  adapter("domain", ["graphql", "scim", "auth", "cli", "http", "oauth"]),
  adapter("graphql", ["scim", "auth", "cli", "oauth"]),
  adapter("scim", ["graphql", "auth", "cli", "oauth"]),
  adapter("auth", ["graphql", "scim", "cli", "oauth"]),
  adapter("cli", ["graphql", "scim", "auth", "http"]),
  {
    files: ["src/scim/protocol/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["../../*", "../../../*", "typeorm", "typeorm/*", "express", "express/*"], message: "scim/protocol is a pure RFC engine: no imports from the rest of src/, TypeORM or express" }],
      }],
    },
  },
  { files: ["**/*.js", "**/*.mjs", "**/*.cjs"], languageOptions: { globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly" } }, rules: { "@typescript-eslint/no-require-imports": "off" } },
);
