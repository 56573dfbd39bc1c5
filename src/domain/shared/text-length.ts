/**
 * The length of a text in characters (code points), as MariaDB counts a utf8mb4 varchar(N).
 * String.length counts UTF-16 code units, two for an emoji: 128 emoji read as 256.
 */
export function characterCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const high = text.charCodeAt(i);
    const low = text.charCodeAt(i + 1);
    if (high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
      count--;
      i++;
    }
  }
  return count;
}
