/** A weak entity tag for a resource version: W/"3". */
export function weakEtag(version: number | string): string {
  return `W/"${String(version).replace(/["\\]/g, '')}"`;
}

const opaque = (tag: string): string => {
  const t = tag.trim().replace(/^W\//i, '');
  return t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1) : t;
};

/**
 * If-Match evaluation with weak comparison (RFC 9110 §8.8.3.2): SCIM versions are weak ETags.
 * `*` matches any existing resource; a list matches when any member does. A missing header
 * imposes no precondition.
 */
export function etagMatches(ifMatch: string | undefined | null, etag: string): boolean {
  if (ifMatch === undefined || ifMatch === null || ifMatch.trim() === '') return true;
  if (ifMatch.trim() === '*') return true;
  const want = opaque(etag);
  const tags = ifMatch.match(/(?:W\/)?"[^"]*"|[^,\s]+/gi) ?? [];
  return tags.some((t) => opaque(t) === want);
}
