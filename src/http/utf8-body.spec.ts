import { NOT_UTF8, assertUtf8Body } from "./utf8-body";

describe("assertUtf8Body", () => {
  const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"a":"\xff"}

  test("UTF-8 (any spelling of the charset) passes; bytes that are not UTF-8 throw a 400 of type NOT_UTF8", () => {
    expect(() => assertUtf8Body(Buffer.from('{"a":"café 😀"}'), "utf-8")).not.toThrow();
    for (const charset of ["utf-8", "UTF-8", "utf8"]) expect(() => assertUtf8Body(bad, charset)).toThrow(expect.objectContaining({ status: 400, type: NOT_UTF8 }));
  });

  test("a body in another UTF is left to its decoder", () => {
    expect(() => assertUtf8Body(Buffer.from('{"a":"é"}', "utf16le"), "utf-16le")).not.toThrow();
  });
});
