import dns from "node:dns";

/**
 * Names resolved as a test says (any other name as usual), offline: through dns.promises.lookup,
 * which Roster's public-network checks use, at configuration and in each connection's own lookup.
 * The global fetch resolves through dns.lookup and does not see them.
 */
export function fakeDns(addresses: Record<string, string>): { addresses: Record<string, string>; restore(): void } {
  const lookup = dns.promises.lookup.bind(dns.promises);
  const spy = jest.spyOn(dns.promises, "lookup").mockImplementation(((hostname: string, options: dns.LookupAllOptions) => {
    const address = addresses[hostname];
    return address ? Promise.resolve([{ address, family: address.includes(":") ? 6 : 4 }]) : lookup(hostname, options);
  }) as never);
  return { addresses, restore: () => spy.mockRestore() };
}
