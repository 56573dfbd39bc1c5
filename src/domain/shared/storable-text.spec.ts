import { UNSTORABLE_KEY, isStorableText, unstorableTextPath } from "./storable-text";

test("well-formed text is storable, including astral characters written as surrogate pairs", () => {
  expect(isStorableText("Zoë 😀")).toBe(true);
  expect(isStorableText("\ud83d\ude00")).toBe(true);
});

test("a lone surrogate (high or low) or a NUL is not", () => {
  expect(isStorableText("a\ud800b")).toBe(false);
  expect(isStorableText("\udc00")).toBe(false);
  expect(isStorableText("nul\u0000byte")).toBe(false);
});

test("the path of the first unstorable string or key in a JSON value; a bad key is not repeated", () => {
  expect(unstorableTextPath({ userName: "a", emails: [{ value: "ok" }, { value: "b\ud800" }] })).toEqual(["emails", 1, "value"]);
  expect(unstorableTextPath({ custom: { "k\udc00": 1 } })).toEqual(["custom", UNSTORABLE_KEY]);
  expect(unstorableTextPath([{ a: null, b: 1, c: true }, "x"])).toBeNull();
  expect(unstorableTextPath("\u0000")).toEqual([]);
});
