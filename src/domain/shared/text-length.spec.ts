import { characterCount } from "./text-length";

describe("characterCount (code points, as a utf8mb4 varchar counts)", () => {
  it.each([
    ["", 0],
    ["abc", 3],
    ["josé", 4],
    ["😀", 1],
    ["😀".repeat(128), 128],
    ["a😀b👍🏽", 5],
    ["\uD83D", 1], // a lone surrogate is one unit
    ["\uDE00\uD83D", 2], // a low before a high is no pair
  ])("%j → %i", (text, count) => expect(characterCount(text)).toBe(count));
});
