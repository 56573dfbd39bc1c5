import { ArrayMaxSize, IsOptional } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from "type-graphql";
import { type CustomFieldDefinition, type CustomFieldType } from "../../domain/custom-fields/custom-field-definition.entity";
import { MAX_OPTIONS, TOO_MANY_OPTIONS, validateDefinition, validateDefinitionChanges } from "../../domain/custom-fields/custom-field.service";
import type { GraphqlContext } from "../context";
import { checkedByDomain } from "../shared/input-validation";
import { IsOptionalNotNull } from "../shared/validation";

export enum CustomFieldManagedByEnum {
  identityProvider = "identityProvider",
  product = "product",
}
registerEnumType(CustomFieldManagedByEnum, {
  name: "CustomFieldManagedBy",
  description: "Who manages users' values of a custom field",
  valuesConfig: {
    identityProvider: { description: "The identity provider: SCIM writes set the field, and a SCIM PUT without it clears it (the default)" },
    product: { description: "The product (setCustomFieldValues): SCIM writes leave the field as it is and ignore the values they send" },
  },
});

@ObjectType("CustomFieldDefinition")
export class CustomFieldDefinitionType {
  @Field(() => ID)
  id: string;

  @Field({ description: "The attribute name in SCIM and in User.customFields" })
  key: string;

  @Field()
  label: string;

  @Field({ description: "string, number, boolean, date or enum" })
  type: string;

  @Field()
  multiValued: boolean;

  @Field(() => [String], { nullable: true, description: "Allowed values of an enum field" })
  options: string[] | null;

  @Field(() => CustomFieldManagedByEnum)
  managedBy: CustomFieldManagedByEnum;

  @Field(() => Int, { description: "Moves by one with each write that changes it; pass it back as updateCustomField's expectedVersion" })
  version: number;
}

// The key's, type's, label's and options' rules are the domain's (`validateDefinition`); GraphQL
// checks a null where null means nothing, and the options' bound before the list is read.
@InputType()
export class UpdateCustomFieldInput {
  @Field({ nullable: true }) @IsOptionalNotNull() label?: string;
  @Field({ nullable: true }) @IsOptionalNotNull() multiValued?: boolean;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_OPTIONS, { message: TOO_MANY_OPTIONS }) options?: string[] | null;
  @Field(() => CustomFieldManagedByEnum, { nullable: true }) @IsOptionalNotNull() managedBy?: CustomFieldManagedByEnum;
}

@InputType()
export class DefineCustomFieldInput extends UpdateCustomFieldInput {
  @Field()
  key: string;

  @Field(() => String, { defaultValue: "string" })
  type: CustomFieldType;
}

// Without the stored field's type, an update's options are checked by the write only.
checkedByDomain(UpdateCustomFieldInput, { check: (input) => validateDefinitionChanges(input) });
checkedByDomain(DefineCustomFieldInput, { check: validateDefinition });

@Resolver(() => CustomFieldDefinitionType)
export class CustomFieldResolver {
  @Query(() => [CustomFieldDefinitionType])
  customFieldDefinitions(@Ctx() ctx: GraphqlContext): Promise<CustomFieldDefinition[]> {
    return ctx.services.customFields.list(ctx.auth());
  }

  @Mutation(() => CustomFieldDefinitionType)
  defineCustomField(@Arg("input") input: DefineCustomFieldInput, @Ctx() ctx: GraphqlContext): Promise<CustomFieldDefinition> {
    return ctx.services.customFields.define(ctx.auth(), input);
  }

  @Mutation(() => CustomFieldDefinitionType)
  updateCustomField(
    @Arg("key") key: string,
    @Arg("input") input: UpdateCustomFieldInput,
    @Ctx() ctx: GraphqlContext,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<CustomFieldDefinition> {
    return ctx.services.customFields.update(ctx.auth(), key, input, { expectedVersion: expectedVersion ?? undefined });
  }

  @Mutation(() => String, { description: "Deletes the definition and every user's values of it; returns the key" })
  async deleteCustomField(@Arg("key") key: string, @Ctx() ctx: GraphqlContext): Promise<string> {
    await ctx.services.customFields.delete(ctx.auth(), key);
    return key;
  }
}
