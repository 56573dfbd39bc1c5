import { Client } from "./client";
import type { ServerProcess } from "./processes";
import { type BenchContext, type Side, checkDeactivated, checkGraphqlPage, createUserRequest, deactivateRequest, graphqlPageRequest, loads, lookupSide, putRequest } from "./scenarios";
import type { Tenant } from "./seed";

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
      spec: { requests: ctx.sizes.creates, warmup: w, make: (i) => createUserRequest(`cmp${b}-${i < 0 ? `w${-i}` : i}@create.example.com`), expect: 201 },
    }));

  const n = ctx.seeder.userCount;
  if (want.lookup) await compare(`SCIM lookup userName eq, ${n} users`, (build) => lookupSide(ctx, `lookup (${build.name})`, scim(build.url, ctx.dir)));

  if (want.write) {
    // Each build deactivates every other user of the directory's second half (each user once):
    // interleaved, so that neither build's users sit elsewhere in the tables than the other's.
    const ids = ctx.seeder.userIds;
    const per = w + ctx.sizes.deactivates;
    const start = Math.floor(n / 2);
    if (start + 2 * per > n) throw new Error(`compare: ${2 * per} users to deactivate, the directory's second half has ${n - start}`);
    await compare("SCIM PATCH active=false", (build, b) => ({
      name: `deactivate (${build.name})`,
      client: scim(build.url, ctx.dir),
      spec: { requests: ctx.sizes.deactivates, warmup: w, make: (i) => deactivateRequest(ids[start + 2 * (w + i) + b]), expect: 200, check: checkDeactivated },
    }));
    // … and PUTs every other user of the first half's start (a user PUT twice would change nothing the second time).
    const perPut = w + ctx.sizes.puts;
    if (2 * perPut > start) throw new Error(`compare: ${2 * perPut} users to PUT, the directory's first half has ${start}`);
    await compare("SCIM PUT full user", (build, b) => ({
      name: `put (${build.name})`,
      client: scim(build.url, ctx.dir),
      spec: { requests: ctx.sizes.puts, warmup: w, make: (i) => putRequest(ctx, 2 * (w + i) + b), expect: 200 },
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
      spec: { requests: ctx.sizes.graphql, warmup: w, make: () => graphqlPageRequest(100), expect: 200, check: checkGraphqlPage(100) },
    }));
}
