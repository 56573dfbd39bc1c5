import { ArrayMaxSize, IsIn, IsOptional, IsString, Length, MaxLength, ValidateNested } from "class-validator";
import { GraphQLJSONObject } from "graphql-scalars";
import { ArgsType, Field, ID, InputType } from "type-graphql";
import { MAX_ROLE_NAMES, TOO_MANY_ROLE_NAMES } from "../../domain/roles/role.service";
import { MAX_CONTACTS, tooManyContacts } from "../../domain/users/user.service";
import { IsOptionalNotNull } from "../shared/validation";

// The fields' rules (lengths, formats, a primary at most) are the domain's (`validateChanges`), as
// for SCIM: it names every invalid one, with the other fields' problems, in one answer.
@InputType()
export class ContactValueInput {
  @Field() value: string;
  @Field(() => String, { nullable: true }) type?: string | null;
  @Field({ nullable: true }) primary?: boolean;
  @Field(() => String, { nullable: true }) display?: string | null;
}

@InputType()
export class EmailInput extends ContactValueInput {}

@InputType()
export class AddressInput {
  @Field(() => String, { nullable: true }) formatted?: string | null;
  @Field(() => String, { nullable: true }) streetAddress?: string | null;
  @Field(() => String, { nullable: true }) locality?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => String, { nullable: true }) country?: string | null;
  @Field(() => String, { nullable: true }) type?: string | null;
  @Field({ nullable: true }) primary?: boolean;
}

@InputType()
export class UserNameInput {
  @Field(() => String, { nullable: true }) formatted?: string | null;
  @Field(() => String, { nullable: true }) givenName?: string | null;
  @Field(() => String, { nullable: true }) familyName?: string | null;
  @Field(() => String, { nullable: true }) middleName?: string | null;
  @Field(() => String, { nullable: true }) honorificPrefix?: string | null;
  @Field(() => String, { nullable: true }) honorificSuffix?: string | null;
}

/** The domain's bound on role names in one request (`findByNames`), and its message. */
const TOO_MANY_ROLES = { message: TOO_MANY_ROLE_NAMES };

/**
 * Omitted fields stay as they are; `null` clears. Lists replace the whole list. GraphQL checks only
 * what the domain cannot see (a null where null means nothing) and the lists' bounds; the rest are
 * the domain's rules (`validateChanges`), reported together with these.
 */
@InputType()
export class UpdateUserInput {
  @Field({ nullable: true }) @IsOptionalNotNull() userName?: string;
  @Field(() => String, { nullable: true }) externalId?: string | null;
  @Field({ nullable: true }) @IsOptionalNotNull() active?: boolean;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => String, { nullable: true }) nickName?: string | null;
  @Field(() => UserNameInput, { nullable: true }) name?: UserNameInput | null;
  @Field(() => String, { nullable: true }) title?: string | null;
  @Field(() => String, { nullable: true }) userType?: string | null;
  @Field(() => String, { nullable: true }) preferredLanguage?: string | null;
  @Field(() => String, { nullable: true }) locale?: string | null;
  @Field(() => String, { nullable: true }) timezone?: string | null;
  @Field(() => String, { nullable: true }) profileUrl?: string | null;
  @Field(() => String, { nullable: true }) employeeNumber?: string | null;
  @Field(() => String, { nullable: true }) costCenter?: string | null;
  @Field(() => String, { nullable: true }) organization?: string | null;
  @Field(() => String, { nullable: true }) division?: string | null;
  @Field(() => String, { nullable: true }) department?: string | null;
  @Field(() => ID, { nullable: true }) managerId?: string | null;
  // The lists' bounds are the domain's, checked before their items are (validation stops at a property's first error).
  @Field(() => [EmailInput], { nullable: true, description: `At most ${MAX_CONTACTS}` })
  @IsOptional()
  @ArrayMaxSize(MAX_CONTACTS, { message: tooManyContacts("emails") })
  emails?: EmailInput[] | null;

  @Field(() => [ContactValueInput], { nullable: true, description: `At most ${MAX_CONTACTS}` })
  @IsOptional()
  @ArrayMaxSize(MAX_CONTACTS, { message: tooManyContacts("phoneNumbers") })
  phoneNumbers?: ContactValueInput[] | null;

  @Field(() => [AddressInput], { nullable: true, description: `At most ${MAX_CONTACTS}` })
  @IsOptional()
  @ArrayMaxSize(MAX_CONTACTS, { message: tooManyContacts("addresses") })
  addresses?: AddressInput[] | null;

  @Field(() => [String], { nullable: true, description: `Role names (at most ${MAX_ROLE_NAMES}); replaces the user's roles` })
  @IsOptional()
  @ArrayMaxSize(MAX_ROLE_NAMES, TOO_MANY_ROLES)
  roles?: string[] | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: "Custom field values by key; null clears a key" }) @IsOptionalNotNull() customFields?: Record<string, unknown>;
}

/**
 * assignRoles' and unassignRoles' arguments. As an @Arg the list had no bound before the resolver:
 * assignRoles read and locked the user before the domain refused 40,000 names, and a list of one name
 * repeated was walked whole. As a field of an @ArgsType class it is bounded first, naming `roles`; the
 * SDL is the same.
 */
@ArgsType()
export class UserRolesArgs {
  @Field(() => ID) userId: string;
  @Field(() => [String]) @ArrayMaxSize(MAX_ROLE_NAMES, TOO_MANY_ROLES) roles: string[];
}

@InputType()
export class CreateUserInput extends UpdateUserInput {
  @Field()
  declare userName: string;
}

@InputType()
export class CustomFieldFilterInput {
  @Field({ description: "The field's key (any case); a key the organisation has not defined is refused" })
  @Length(1, 64)
  name: string;

  @Field({ description: "Typed as a write of the field is (a number, true/false, a day YYYY-MM-DD, an enum option in any case), then compared exactly with the stored value" })
  @MaxLength(2048)
  value: string;
}

@InputType()
export class UserFilterInput {
  @Field({ nullable: true, description: "Matches userName, names, externalId and emails (contains, any case)" })
  @IsOptional()
  @MaxLength(255)
  text?: string;

  @Field({ nullable: true }) @IsOptional() @MaxLength(255) userName?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(255) externalId?: string;
  @Field({ nullable: true }) @IsOptional() active?: boolean;
  @Field(() => ID, { nullable: true }) @IsOptional() groupId?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(128) role?: string;
  @Field(() => ID, { nullable: true, description: "The manager's direct reports" }) @IsOptional() @IsString() managerId?: string;
  @Field({ nullable: true, description: "Equal, any case (as SCIM's department eq)" }) @IsOptional() @MaxLength(255) department?: string;
  @Field({ nullable: true, description: "Equal, any case" }) @IsOptional() @MaxLength(255) division?: string;
  @Field({ nullable: true, description: "Equal, any case" }) @IsOptional() @MaxLength(255) costCenter?: string;
  @Field({ nullable: true, description: "Equal, any case" }) @IsOptional() @MaxLength(255) organization?: string;

  @Field(() => CustomFieldFilterInput, { nullable: true, description: "Users holding this value of a custom field" })
  @IsOptional()
  @ValidateNested()
  customField?: CustomFieldFilterInput;
}

export const userTypeNames = ["user", "group"] as const;

@InputType()
export class MemberInput {
  @Field(() => ID)
  id: string;

  @Field(() => String, { nullable: true, description: "user or group; left out, the user of that id, or else the group of that id" })
  @IsOptional()
  @IsIn(userTypeNames)
  type?: "user" | "group" | null;
}
