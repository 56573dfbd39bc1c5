import { ArrayMaxSize, IsOptional, Length, MaxLength } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import type { Role } from "../../domain/roles/role.entity";
import type { GraphqlContext } from "../context";
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

@InputType()
export class UpdateRoleInput {
  @Field({ nullable: true }) @IsOptionalNotNull() @Length(1, 128) name?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(1024) description?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptionalNotNull() @ArrayMaxSize(200) permissions?: string[];
}

@InputType()
export class CreateRoleInput extends UpdateRoleInput {
  @Field() @Length(1, 128) declare name: string;
}

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
