import "reflect-metadata";
import { DEFAULT_SCIM_EXTENSION_URN } from "../../../config/config";
import type { CustomFieldDefinition } from "../../../domain/custom-fields/custom-field-definition.entity";
import { User } from "../../../domain/users/user.entity";
import { userTextFields, type UserDetails } from "../../../domain/users/user.service";
import { project } from "../../protocol";
import { userSchemaFor } from "../scim-scope";
import { toScimUser } from "./user.scim-mapper";

const at = new Date("2026-11-23T01:02:03.456Z");
const definition = (key: string, type: CustomFieldDefinition["type"], multiValued = false): CustomFieldDefinition =>
  ({ id: `def-${key}`, organisationId: "org", key, label: key, type, multiValued, options: null, createdAt: at, updatedAt: at }) as CustomFieldDefinition;

describe("toScimUser emits only what a projection without parameters keeps", () => {
  // The list and GET handlers skip project() when there is no attributes/excludedAttributes: this
  // holds only while every attribute the mapper writes is in the schema and returned by default.
  test("a user with every attribute set renders the same with or without project()", () => {
    const user = new User();
    Object.assign(user, { id: "u1", organisationId: "org", userName: "ada@x.test", userNameKey: "ada@x.test", externalId: "ext-1", externalIdKey: "ext-1", active: true, managerId: "m1", version: 3, createdAt: at, updatedAt: at });
    for (const f of userTextFields) user[f] = f === "profileUrl" ? "https://x.test/ada" : `${f} value`;
    user.addresses = [{ type: "work", streetAddress: "1 Main St", locality: "Town", region: "R", postalCode: "123", country: "NZ", formatted: "1 Main St, Town", primary: true }];
    const contact = (kind: "email" | "phone", value: string) => ({ id: value, organisationId: "org", userId: "u1", kind, position: 0, value, valueKey: value, type: "work", primary: true, display: value });
    const details: UserDetails = {
      emails: [contact("email", "ada@x.test")],
      phoneNumbers: [contact("phone", "+64 1")],
      roles: [{ id: "r1", organisationId: "org", name: "Admin", nameKey: "admin", description: null, permissions: [], builtIn: true, version: 1, createdAt: at, updatedAt: at }],
      customFields: { area: "north", score: 7, flags: ["a", "b"] },
      groups: [{ id: "g1", displayName: "Engineering" }],
      manager: { id: "m1", userName: "boss@x.test", displayName: "Boss" },
    };
    const schema = userSchemaFor(DEFAULT_SCIM_EXTENSION_URN, [definition("area", "string"), definition("score", "number"), definition("flags", "string", true)]);
    const rendered = toScimUser(user, details, "https://roster.test/scim/v2", DEFAULT_SCIM_EXTENSION_URN);
    expect(project(rendered, schema, {})).toEqual(rendered);
    // And it is a full rendering (the check above would be empty otherwise).
    expect(Object.keys(rendered)).toEqual(expect.arrayContaining(["name", "emails", "phoneNumbers", "addresses", "groups", "roles", "meta", DEFAULT_SCIM_EXTENSION_URN]));
  });
});
