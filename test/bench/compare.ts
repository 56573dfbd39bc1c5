import { Client } from "./client";
import type { ServerProcess } from "./processes";
import { type BenchContext, GRAPHQL_PAGE, PATCH_OP, SCIM_USER, type Side, loads, pick, userFilter } from "./scenarios";
import { type Tenant, userNameOf } from "./seed";

/**
 * `npm run bench -- --compare <checkout>`: this build against another (a worktree of an earlier
 * commit, built), both running on the one seeded database, each request type in alternating slices
 * (`loads`). Two full runs minutes apart differ by the machine's drift, which this session-to-session
 * has moved a figure by a fifth and more; within one run both builds see the same machine.
 *
 * Reads (lookups, group reads, GraphQL pages) send both builds the same requests; writes go to
 * disjoint users and names, so that neither build's request finds the other's work done.
 */
export interface CompareScenarios {
  create: boolean;
  lookup: boolean;
  write: boolean;
  membership: boolean;
  graphql: boolean;
}

export async function compareBuilds(ctx: BenchContext, other: ServerProcess, creates: Tenant, groupId: string | null, want: CompareScenarios): Promise<void> {
  const builds = [
    { name: "this build", url: ctx.roster.url },
    { name: "other build", url: other.url },
  ];
  const scim = (url: string, tenant: Tenant) => new Client(url, ctx.concurrency, { authorization: `Bearer ${tenant.scimToken}`, accept: "application/scim+json" });
  const w = ctx.sizes.warmup;
  const compare = async (scenario: string, sideOf: (build: { name: string; url: string }, b: number) => Side) => {
    ctx.log(`compare: ${scenario}`);
    const sides = builds.map(sideOf);
    const [mine, theirs] = await loads(ctx, sides);
    for (const s of sides) s.client.close();
    ctx.rows.push({
      scenario: `compare: ${scenario}`,
      rate: mine.rate,
      unit: "req/s",
      p50: mine.p50,
      p99: mine.p99,
      baseline: "other build",
      baselineValue: theirs.rate,
      ratio: mine.rate / theirs.rate,
      target: "this ÷ other",
      met: null,
      errors: mine.errors + theirs.errors,
      cpu: mine.cpu,
      baselineCpu: theirs.cpu,
      baselineCpuLabel: "other build",
      note: `other build p50 ${theirs.p50.toFixed(2)} ms, p99 ${theirs.p99.toFixed(2)} ms${mine.firstError || theirs.firstError ? `; first error: ${(mine.firstError ?? theirs.firstError)!.slice(0, 200)}` : ""}`,
    });
  };

  if (want.create)
    await compare("SCIM create user", (build, b) => ({
      name: `create (${build.name})`,
      client: scim(build.url, creates),
      spec: {
        requests: ctx.sizes.creates,
        warmup: w,
        make: (i) => {
          const userName = `cmp${b}-${i < 0 ? `w${-i}` : i}@create.example.com`;
          return { method: "POST", path: "/scim/v2/Users", body: { schemas: [SCIM_USER], userName, emails: [{ value: userName, type: "work", primary: true }], active: true } };
        },
        expect: 201,
      },
    }));

  const n = ctx.seeder.userCount;
  if (want.lookup)
    await compare(`SCIM lookup userName eq, ${n} users`, (build) => ({
      name: `lookup (${build.name})`,
      client: scim(build.url, ctx.dir),
      spec: {
        requests: ctx.sizes.lookups,
        warmup: w,
        make: (i) => ({ method: "GET", path: userFilter(userNameOf(ctx.dir.slug, pick(i + 7, n))) }),
        expect: 200,
        check: (a) => {
          if (!a.body.includes('"totalResults":1')) throw new Error(`lookup did not find exactly one user: ${a.body.slice(0, 200)}`);
        },
      },
    }));

  if (want.write) {
    // Each build deactivates its own half of the directory's second half (each user once).
    const ids = ctx.seeder.userIds;
    const per = w + ctx.sizes.deactivates;
    const start = Math.floor(n / 2);
    if (start + 2 * per > n) throw new Error(`compare: ${2 * per} users to deactivate, the directory's second half has ${n - start}`);
    await compare("SCIM PATCH active=false", (build, b) => ({
      name: `deactivate (${build.name})`,
      client: scim(build.url, ctx.dir),
      spec: {
        requests: ctx.sizes.deactivates,
        warmup: w,
        make: (i) => ({ method: "PATCH", path: `/scim/v2/Users/${ids[start + b * per + w + i]}`, body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] } }),
        expect: 200,
        check: (a) => {
          if (!a.body.includes('"active":false')) throw new Error("PATCH did not deactivate");
        },
      },
    }));
  }

  if (want.membership && groupId)
    await compare("GET group excludedAttributes=members", (build) => ({
      name: `group read (${build.name})`,
      client: scim(build.url, ctx.dir),
      spec: { requests: ctx.sizes.groupReads, warmup: w, make: () => ({ method: "GET", path: `/scim/v2/Groups/${groupId}?excludedAttributes=members` }), expect: 200 },
    }));

  if (want.graphql)
    await compare("GraphQL 100 users + groups, roles, manager", (build) => ({
      name: `graphql page (${build.name})`,
      client: new Client(build.url, ctx.concurrency, { authorization: `Bearer ${ctx.dir.adminToken}` }),
      spec: {
        requests: ctx.sizes.graphql,
        warmup: w,
        make: () => ({ method: "POST", path: "/graphql", body: { query: GRAPHQL_PAGE, variables: { first: 100 } }, headers: { "content-type": "application/json" } }),
        expect: 200,
        check: (a) => {
          const body = JSON.parse(a.body) as { data?: { users: { nodes: unknown[] } }; errors?: unknown };
          if (body.errors || body.data?.users.nodes.length !== 100) throw new Error(`GraphQL: ${a.body.slice(0, 300)}`);
        },
      },
    }));
}
