/** A weak entity tag for a resource version: W/"3". */
export function weakEtag(version: number | string): string {
  return `W/"${String(version).replace(/["\\]/g, '')}"`;
}

const opaque = (tag: string): string => {
  const t = tag.trim().replace(/^W\//i, '');
  return t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1) : t;
};

/**
 * The opaque tags an If-Match or If-None-Match header lists (`W/"1", "2"` → ['1', '2']); `*` for
 * any; undefined when the header is missing or empty.
 */
export function listedEtags(header: string | undefined | null): string[] | '*' | undefined {
  if (header === undefined || header === null || header.trim() === '') return undefined;
  if (header.trim() === '*') return '*';
  return (header.match(/(?:W\/)?"[^"]*"|[^,\s]+/gi) ?? []).map(opaque);
}

/**
 * If-Match (or If-None-Match) evaluation with weak comparison (RFC 9110 §8.8.3.2): SCIM versions
 * are weak ETags. `*` matches any existing resource; a list matches when any member does. A
 * missing header imposes no precondition.
 */
export function etagMatches(ifMatch: string | undefined | null, etag: string): boolean {
  const tags = listedEtags(ifMatch);
  return tags === undefined || tags === '*' || tags.includes(opaque(etag));
}
