import { ArrayMaxSize, IsIn, IsOptional, Length, Matches } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from "type-graphql";
import { type CustomFieldDefinition, type CustomFieldType, customFieldTypes } from "../../domain/custom-fields/custom-field-definition.entity";
import type { GraphqlContext } from "../context";
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

@InputType()
export class UpdateCustomFieldInput {
  @Field({ nullable: true }) @IsOptionalNotNull() @Length(1, 255) label?: string;
  @Field({ nullable: true }) @IsOptionalNotNull() multiValued?: boolean;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(500) options?: string[] | null;
  @Field(() => CustomFieldManagedByEnum, { nullable: true }) @IsOptionalNotNull() managedBy?: CustomFieldManagedByEnum;
}

@InputType()
export class DefineCustomFieldInput extends UpdateCustomFieldInput {
  @Field()
  @Matches(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { message: "key must start with a letter and contain only letters, digits and _" })
  key: string;

  @Field(() => String, { defaultValue: "string" })
  @IsIn(customFieldTypes)
  type: CustomFieldType;
}

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
