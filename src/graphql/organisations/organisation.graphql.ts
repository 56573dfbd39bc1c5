import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from "type-graphql";
import type { Organisation } from "../../domain/organisations/organisation.entity";
import { validateOrganisationChanges } from "../../domain/organisations/organisation.service";
import type { GraphqlContext } from "../context";
import { checkedByDomain } from "../shared/input-validation";
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

// The name's and slug's rules are the domain's (`validateOrganisationChanges`), as for the CLI.
@InputType()
export class UpdateOrganisationInput {
  @Field({ nullable: true })
  @IsOptionalNotNull()
  name?: string;

  @Field({ nullable: true })
  @IsOptionalNotNull()
  slug?: string;

  @Field({ nullable: true })
  @IsOptionalNotNull()
  scimEnabled?: boolean;

  @Field(() => RolesManagedByEnum, { nullable: true })
  @IsOptionalNotNull()
  rolesManagedBy?: RolesManagedByEnum;
}

checkedByDomain(UpdateOrganisationInput, { check: validateOrganisationChanges });

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
