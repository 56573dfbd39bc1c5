import { ArrayMaxSize } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import type { Role } from "../../domain/roles/role.entity";
import { MAX_PERMISSIONS, TOO_MANY_PERMISSIONS, validateRoleInput } from "../../domain/roles/role.service";
import type { GraphqlContext } from "../context";
import { checkedByDomain } from "../shared/input-validation";
import { IsOptionalNotNull } from "../shared/validation";

@ObjectType("Role", { simpleResolvers: true })
export class RoleType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  description: string | null;

  @Field(() => [String])
  permissions: string[];

  @Field({ description: "admin and member exist in every organisation and cannot be removed" })
  builtIn: boolean;

  @Field(() => Int, { description: "Moves by one with each write that changes it; pass it back as updateRole's expectedVersion" })
  version: number;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

// The name's, description's and permissions' rules are the domain's (`validateRoleInput`); GraphQL
// checks a null where null means nothing, and the permissions' bound before the list is read.
@InputType()
export class UpdateRoleInput {
  @Field({ nullable: true }) @IsOptionalNotNull() name?: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptionalNotNull() @ArrayMaxSize(MAX_PERMISSIONS, { message: TOO_MANY_PERMISSIONS }) permissions?: string[];
}

@InputType()
export class CreateRoleInput extends UpdateRoleInput {
  @Field() declare name: string;
}

checkedByDomain(UpdateRoleInput, { check: validateRoleInput });

@Resolver(() => RoleType)
export class RoleResolver {
  @Query(() => [RoleType])
  roles(@Ctx() ctx: GraphqlContext): Promise<Role[]> {
    return ctx.services.roles.list(ctx.auth());
  }

  @Mutation(() => RoleType)
  createRole(@Arg("input") input: CreateRoleInput, @Ctx() ctx: GraphqlContext): Promise<Role> {
    return ctx.services.roles.create(ctx.auth(), input);
  }

  @Mutation(() => RoleType)
  updateRole(
    @Arg("id", () => ID) id: string,
    @Arg("input") input: UpdateRoleInput,
    @Ctx() ctx: GraphqlContext,
    @Arg("expectedVersion", () => Int, { nullable: true }) expectedVersion?: number | null,
  ): Promise<Role> {
    return ctx.services.roles.update(ctx.auth(), id, input, { expectedVersion: expectedVersion ?? undefined });
  }

  @Mutation(() => ID)
  async deleteRole(@Arg("id", () => ID) id: string, @Ctx() ctx: GraphqlContext): Promise<string> {
    await ctx.services.roles.delete(ctx.auth(), id);
    return id;
  }
}
