import { NOT_UTF8, assertUtf8Body, assertUtf8Form, isUtf8Form } from "./utf8-body";

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

describe("assertUtf8Form", () => {
  const refused = expect.objectContaining({ status: 400, type: NOT_UTF8 });

  test.each([
    ["a lone continuation byte", "a=%80"],
    ["a byte UTF-8 never uses, its hex in lower case", "a=b&c=x%ff"],
    ["an overlong '/'", "a=%C0%af"],
    ["a surrogate in UTF-8", "a=%ED%A0%80"],
    ["a sequence cut by the next parameter", "a=%C3&b=%A9"],
    ["a sequence cut by an escaped '&'", "a=%C3%26%A9"],
  ])("%s is refused", (_name, form) => {
    expect(() => assertUtf8Form(Buffer.from(form), "utf-8")).toThrow(refused);
  });

  test("raw bytes that are not UTF-8 are refused, as in any body", () => {
    expect(() => assertUtf8Form(Buffer.from([0x61, 0x3d, 0xff]), "utf-8")).toThrow(refused);
  });

  test("UTF-8 escapes, raw UTF-8, and a % that is no escape pass; a Latin-1 form is left to its decoder", () => {
    for (const form of ["a=caf%C3%A9&b=%F0%9F%98%80", "a=café", "a=100%&b=%4", "a=%zz", "a=%25FF", ""]) expect(() => assertUtf8Form(Buffer.from(form), "utf-8")).not.toThrow();
    expect(() => assertUtf8Form(Buffer.from("a=caf%E9"), "iso-8859-1")).not.toThrow();
  });
});

describe("isUtf8Form (Basic credentials, form-urlencoded before base64)", () => {
  test("what assertUtf8Form refuses is not; what it passes is", () => {
    for (const form of ["id:%80", "id:s%FF", "id:%C0%AF", "id%ED%A0%80:s"]) expect(isUtf8Form(Buffer.from(form))).toBe(false);
    expect(isUtf8Form(Buffer.from([0x69, 0x64, 0x3a, 0xff]))).toBe(false);
    for (const form of ["id:caf%C3%A9", "id:café", "id:100%", "id:s"]) expect(isUtf8Form(Buffer.from(form))).toBe(true);
  });
});
