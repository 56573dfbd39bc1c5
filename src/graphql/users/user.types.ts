import { GraphQLJSONObject } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";
import { Connection } from "../shared/connection";

@ObjectType("UserName", { simpleResolvers: true })
export class UserNameType {
  @Field(() => String, { nullable: true })
  formatted: string | null;

  @Field(() => String, { nullable: true })
  givenName: string | null;

  @Field(() => String, { nullable: true })
  familyName: string | null;

  @Field(() => String, { nullable: true })
  middleName: string | null;

  @Field(() => String, { nullable: true })
  honorificPrefix: string | null;

  @Field(() => String, { nullable: true })
  honorificSuffix: string | null;
}

@ObjectType("ContactValue", { description: "An email address or phone number", simpleResolvers: true })
export class ContactValueType {
  @Field()
  value: string;

  @Field(() => String, { nullable: true })
  type: string | null;

  @Field()
  primary: boolean;

  @Field(() => String, { nullable: true })
  display: string | null;
}

@ObjectType("Address", { simpleResolvers: true })
export class AddressType {
  @Field(() => String, { nullable: true })
  formatted?: string | null;

  @Field(() => String, { nullable: true })
  streetAddress?: string | null;

  @Field(() => String, { nullable: true })
  locality?: string | null;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => String, { nullable: true })
  postalCode?: string | null;

  @Field(() => String, { nullable: true })
  country?: string | null;

  @Field(() => String, { nullable: true })
  type?: string | null;

  @Field({ nullable: true })
  primary?: boolean;
}

@ObjectType("GroupRef", { simpleResolvers: true })
export class GroupRefType {
  @Field(() => ID)
  id: string;

  @Field()
  displayName: string;

  @Field({ description: "Whether the user is a member of the group itself (false: through a group nested in it, at any depth)" })
  direct: boolean;
}

@ObjectType("User", { simpleResolvers: true })
export class UserType {
  @Field(() => ID)
  id: string;

  @Field()
  userName: string;

  @Field(() => String, { nullable: true })
  externalId: string | null;

  @Field()
  active: boolean;

  @Field(() => String, { nullable: true })
  displayName: string | null;

  @Field(() => String, { nullable: true })
  nickName: string | null;

  @Field(() => String, { nullable: true })
  title: string | null;

  @Field(() => String, { nullable: true })
  userType: string | null;

  @Field(() => String, { nullable: true })
  preferredLanguage: string | null;

  @Field(() => String, { nullable: true })
  locale: string | null;

  @Field(() => String, { nullable: true })
  timezone: string | null;

  @Field(() => String, { nullable: true })
  profileUrl: string | null;

  @Field(() => String, { nullable: true })
  employeeNumber: string | null;

  @Field(() => String, { nullable: true })
  costCenter: string | null;

  @Field(() => String, { nullable: true })
  organization: string | null;

  @Field(() => String, { nullable: true })
  division: string | null;

  @Field(() => String, { nullable: true })
  department: string | null;

  @Field(() => [AddressType])
  addresses: AddressType[];

  @Field(() => Int, { description: "Changes on every write (the SCIM ETag); pass it back as expectedVersion" })
  version: number;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;

  @Field(() => GraphQLJSONObject, { description: "Custom field values by key" })
  customFields: Record<string, unknown>;
}

@ObjectType("UserConnection", { simpleResolvers: true })
export class UserConnection extends Connection(UserType, "User") {}
