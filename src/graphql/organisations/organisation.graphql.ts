import { Length, Matches } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from "type-graphql";
import type { Organisation } from "../../domain/organisations/organisation.entity";
import type { GraphqlContext } from "../context";
import { IsOptionalNotNull } from "../shared/validation";

export enum RolesManagedByEnum {
  identityProvider = "identityProvider",
  product = "product",
}
registerEnumType(RolesManagedByEnum, {
  name: "RolesManagedBy",
  description: "Who manages the organisation's role assignments",
  valuesConfig: {
    identityProvider: { description: "The identity provider: SCIM writes set roles, and a SCIM PUT without roles clears them (the default)" },
    product: { description: "The product (assignRoles, unassignRoles): SCIM writes leave roles as they are and ignore the roles they send" },
  },
});

@ObjectType("Organisation")
export class OrganisationType {
  @Field(() => ID)
  id: string;

  @Field()
  slug: string;

  @Field()
  name: string;

  @Field()
  scimEnabled: boolean;

  @Field(() => RolesManagedByEnum)
  rolesManagedBy: RolesManagedByEnum;
  @Field(() => Int, { description: "Moves by one with each write that changes it; pass it back as updateOrganisation's expectedVersion" })
  version: number;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

@InputType()
export class UpdateOrganisationInput {
  @Field({ nullable: true })
  @IsOptionalNotNull()
  @Length(1, 255)
  name?: string;

  @Field({ nullable: true })
  @IsOptionalNotNull()
  @Matches(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: "slug must be lower-case letters, digits or hyphens" })
  slug?: string;

  @Field({ nullable: true })
  @IsOptionalNotNull()
  scimEnabled?: boolean;

  @Field(() => RolesManagedByEnum, { nullable: true })
  @IsOptionalNotNull()
  rolesManagedBy?: RolesManagedByEnum;
}

@Resolver(() => OrganisationType)
export class OrganisationResolver {
  @Query(() => OrganisationType, { description: "The organisation of the caller's token or session" })
  organisation(@Ctx() ctx: GraphqlContext): Promise<Organisation> {
    return ctx.services.organisations.get(ctx.auth());
  }

  @Mutation(() => OrganisationType)
  updateOrganisation(
    @Arg("input") input: UpdateOrganisationInput,
    @Ctx() ctx: GraphqlContext,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<Organisation> {
    return ctx.services.organisations.update(ctx.auth(), input, { expectedVersion: expectedVersion ?? undefined });
  }
}
