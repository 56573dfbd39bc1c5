// Lint, and the architecture's boundaries: adapters import domain/ and platform/, never each other;
// scim/protocol/ is a pure RFC engine that imports nothing of the rest (see shared CONVENTIONS).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Relative imports that climb out of src/<self>/ into src/<other>/ (at any depth).
const climbInto = (other) => [1, 2, 3, 4, 5].flatMap((depth) => ["../".repeat(depth) + other, "../".repeat(depth) + other + "/**"]);
const adapter = (self, others) => ({
  files: [`src/${self}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", { patterns: others.map((o) => ({ group: climbInto(o), message: `${self}/ must not import ${o}/: share code through domain/ or platform/` })) }],
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
  // Tests read arbitrary JSON answers: `any` is the honest type there.
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  adapter("domain", ["graphql", "scim", "auth", "cli", "http", "oauth"]),
  adapter("graphql", ["scim", "auth", "cli", "oauth"]),
  adapter("scim", ["graphql", "auth", "cli", "oauth"]),
  adapter("auth", ["graphql", "scim", "cli", "oauth"]),
  adapter("cli", ["graphql", "scim", "auth", "http", "oauth"]),
  adapter("oauth", ["graphql", "scim", "auth", "cli", "http"]),
  adapter("admin", ["graphql", "scim", "auth", "cli", "http", "oauth"]),
  {
    files: ["src/scim/protocol/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["../../*", "../../../*", "typeorm", "typeorm/*", "express", "express/*"], message: "scim/protocol is a pure RFC engine: no imports from the rest of src/, TypeORM or express" }],
      }],
    },
  },
  { files: ["**/*.js", "**/*.mjs", "**/*.cjs"], languageOptions: { globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", __dirname: "readonly", URL: "readonly", setTimeout: "readonly", fetch: "readonly", Buffer: "readonly", setInterval: "readonly", clearInterval: "readonly", clearTimeout: "readonly" } }, rules: { "@typescript-eslint/no-require-imports": "off" } },
  // The admin console's browser modules: DOM globals are checked by tsc (tsconfig.admin.json).
  { files: ["src/admin/public/**/*.js"], languageOptions: { sourceType: "module" }, rules: { "no-undef": "off" } },
);
