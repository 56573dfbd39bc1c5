import { ArrayMaxSize, ArrayMinSize, IsIn, IsOptional, Length } from "class-validator";
import { Arg, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver, registerEnumType } from "type-graphql";
import type { IdentityProvider, IdentityProviderKind, OidcSettings, SamlSettings, UserMatch } from "../../domain/sso/identity-provider.entity";
import { type CertificateInfo, certificateInfo, oidcClaims, serviceProviderInfo, userMatches } from "../../domain/sso/identity-provider.service";
import type { User } from "../../domain/users/user.entity";
import type { GraphqlContext } from "../context";
import { UserType } from "../users/user.types";

export enum IdentityProviderKindEnum {
  saml = "saml",
  oidc = "oidc",
}
registerEnumType(IdentityProviderKindEnum, { name: "IdentityProviderKind" });

@ObjectType("Certificate", { description: "An IdP signing certificate (the PEM itself is not returned)" })
export class CertificateType {
  @Field() subject: string;
  @Field() issuer: string;
  @Field() notBefore: Date;
  @Field() notAfter: Date;
  @Field({ description: "SHA-256 fingerprint, colon-separated hex" }) fingerprint: string;
}

@ObjectType("SamlSettings")
export class SamlSettingsType {
  @Field({ description: "The IdP's single sign-on URL (Okta: Identity Provider Single Sign-On URL)" }) ssoUrl: string;
  @Field({ description: "The IdP's entity id (Okta: Identity Provider Issuer)" }) entityId: string;
  @Field(() => [CertificateType]) certificates: CertificateType[];
  @Field({ description: "nameID, or the assertion attribute that identifies the user" }) identifierSource: string;
  @Field({ description: "userName, email or externalId" }) matchBy: string;
  @Field({ description: "Whether the whole Response must be signed (the assertion always must be)" }) wantResponseSigned: boolean;
}

@ObjectType("OidcSettings")
export class OidcSettingsType {
  @Field() issuer: string;
  @Field(() => String, { nullable: true, description: "Entra tenant id: the tid claim must equal it" }) tenantId: string | null;
  @Field() clientId: string;
  @Field({ description: "preferred_username, email, upn or oid" }) claim: string;
  @Field({ description: "userName, email or externalId" }) matchBy: string;
  @Field({ description: "Whether a client secret is stored; the secret itself is never returned" }) clientSecretSet: boolean;
}

@ObjectType("IdentityProvider")
export class IdentityProviderType {
  @Field(() => ID) id: string;
  @Field(() => IdentityProviderKindEnum) kind: IdentityProviderKind;
  @Field() enabled: boolean;
  @Field({ description: "Create unknown users on their first sign-in (off by default)" }) justInTimeProvisioning: boolean;
  @Field(() => SamlSettingsType, { nullable: true }) saml: SamlSettingsType | null;
  @Field(() => OidcSettingsType, { nullable: true }) oidc: OidcSettingsType | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType("FormerSlugServiceProvider", {
  description:
    "Roster's SSO values under a slug the organisation gave up. They still sign its people in (as strictly as the current ones, each with its own entity id and ACS URL) for an IdP set up before the rename; the slug stays reserved to the organisation",
})
export class FormerSlugServiceProviderType {
  @Field() slug: string;
  @Field({ description: "When the organisation gave it up" }) retiredAt: Date;
  @Field({ description: "SAML SP entity id (audience) under this slug" }) spEntityId: string;
  @Field({ description: "SAML ACS URL under this slug" }) acsUrl: string;
  @Field({ description: "SP metadata XML of this slug's entity" }) metadataUrl: string;
  @Field({ description: "Starts an SP-initiated SAML sign-in with this slug's values" }) samlLoginUrl: string;
  @Field({ description: "OIDC redirect URI under this slug" }) oidcRedirectUri: string;
  @Field({ description: "Starts an OIDC sign-in with this slug's redirect URI" }) oidcLoginUrl: string;
}

@ObjectType("ServiceProvider", { description: "Roster's side of single sign-on for this organisation: the values an IdP admin enters" })
export class ServiceProviderType {
  @Field({ description: "SAML SP entity id (Okta: Audience URI / SP Entity ID)" }) spEntityId: string;
  @Field({ description: "SAML Assertion Consumer Service URL (Okta: Single sign-on URL), HTTP-POST binding" }) acsUrl: string;
  @Field({ description: "SP metadata XML" }) metadataUrl: string;
  @Field({ description: "Starts an SP-initiated SAML sign-in" }) samlLoginUrl: string;
  @Field({ description: "OIDC redirect URI (Entra: Web platform redirect URI)" }) oidcRedirectUri: string;
  @Field({ description: "Starts an OIDC sign-in" }) oidcLoginUrl: string;
  @Field({ description: "Signs out with a POST from Roster's own pages; a GET shows a Sign out button (not an IdP front-channel logout URL)" }) logoutUrl: string;
  @Field(() => [FormerSlugServiceProviderType], {
    description: "The values under the slugs this organisation gave up (the most recent first), still accepted: an IdP set up before a rename keeps working until it is changed to the values above",
  })
  formerSlugs: FormerSlugServiceProviderType[];
}

@InputType()
export class ConfigureSamlInput {
  @Field() @Length(1, 2048) idpSsoUrl: string;
  @Field() @Length(1, 1024) idpEntityId: string;
  @Field(() => [String], { description: "PEM certificates: one, or two while the IdP rotates its key" }) @ArrayMinSize(1) @ArrayMaxSize(2) idpCertificates: string[];
  @Field(() => String, { nullable: true, description: "nameID (default) or an assertion attribute name" }) @IsOptional() @Length(1, 256) identifierSource?: string | null;
  @Field(() => String, { nullable: true, description: "userName (default), email or externalId" }) @IsOptional() @IsIn(userMatches) matchBy?: UserMatch | null;
  @Field(() => Boolean, { nullable: true, description: "Default true (Okta signs the Response)" }) @IsOptional() wantResponseSigned?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() justInTimeProvisioning?: boolean | null;
}

@InputType()
export class ConfigureOidcInput {
  @Field({ description: "e.g. https://login.microsoftonline.com/<tenant id>/v2.0" }) @Length(1, 2048) issuer: string;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 64) tenantId?: string | null;
  @Field() @Length(1, 255) clientId: string;
  @Field(() => String, { nullable: true, description: "Write-only; required the first time, kept when left out" }) @IsOptional() @Length(1, 1024) clientSecret?: string | null;
  @Field(() => String, { nullable: true, description: "preferred_username, email, upn or oid" }) @IsOptional() @IsIn(oidcClaims) claim?: OidcSettings["claim"] | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsIn(userMatches) matchBy?: UserMatch | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() justInTimeProvisioning?: boolean | null;
}

const certificate = (c: CertificateInfo): CertificateType => ({ subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, fingerprint: c.fingerprint256 });

/** Entity → the view an admin may see: no PEM bodies, never the client secret. */
export function identityProviderView(idp: IdentityProvider): IdentityProviderType {
  const saml = idp.kind === "saml" ? (idp.settings as SamlSettings) : null;
  const oidc = idp.kind === "oidc" ? (idp.settings as OidcSettings) : null;
  return {
    id: idp.id,
    kind: idp.kind,
    enabled: idp.enabled,
    justInTimeProvisioning: idp.justInTimeProvisioning,
    createdAt: idp.createdAt,
    updatedAt: idp.updatedAt,
    saml: saml && {
      ssoUrl: saml.idpSsoUrl,
      entityId: saml.idpEntityId,
      certificates: saml.idpCertificates.map((pem) => certificate(certificateInfo(pem))),
      identifierSource: saml.identifierSource,
      matchBy: saml.matchBy,
      wantResponseSigned: saml.wantResponseSigned,
    },
    oidc: oidc && { issuer: oidc.issuer, tenantId: oidc.tenantId, clientId: oidc.clientId, claim: oidc.claim, matchBy: oidc.matchBy, clientSecretSet: !!idp.clientSecret },
  };
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

@Resolver()
export class IdentityProviderResolver {
  @Query(() => [IdentityProviderType], { description: "This organisation's SAML and OIDC sign-in settings (admin only)" })
  async identityProviders(@Ctx() ctx: GraphqlContext): Promise<IdentityProviderType[]> {
    return (await ctx.services.identityProviders.list(ctx.auth())).map(identityProviderView);
  }

  @Query(() => ServiceProviderType, { description: "Roster's SSO URLs for this organisation, to enter in the IdP (admin only)" })
  async serviceProvider(@Ctx() ctx: GraphqlContext): Promise<ServiceProviderType> {
    const auth = ctx.auth();
    const [org, former] = await Promise.all([ctx.services.organisations.get(auth), ctx.services.organisations.formerSlugs(auth)]);
    return {
      ...serviceProviderInfo(ctx.publicUrl, org.slug),
      formerSlugs: former.map(({ slug, retiredAt }) => {
        const { spEntityId, acsUrl, metadataUrl, samlLoginUrl, oidcRedirectUri, oidcLoginUrl } = serviceProviderInfo(ctx.publicUrl, slug);
        return { slug, retiredAt, spEntityId, acsUrl, metadataUrl, samlLoginUrl, oidcRedirectUri, oidcLoginUrl };
      }),
    };
  }

  @Mutation(() => IdentityProviderType)
  async configureSaml(@Arg("input") input: ConfigureSamlInput, @Ctx() ctx: GraphqlContext): Promise<IdentityProviderType> {
    const idp = await ctx.services.identityProviders.configureSaml(ctx.auth(), {
      idpSsoUrl: input.idpSsoUrl,
      idpEntityId: input.idpEntityId,
      idpCertificates: input.idpCertificates,
      identifierSource: opt(input.identifierSource),
      matchBy: opt(input.matchBy),
      wantResponseSigned: opt(input.wantResponseSigned),
      justInTimeProvisioning: opt(input.justInTimeProvisioning),
    });
    return identityProviderView(idp);
  }

  @Mutation(() => IdentityProviderType)
  async configureOidc(@Arg("input") input: ConfigureOidcInput, @Ctx() ctx: GraphqlContext): Promise<IdentityProviderType> {
    const idp = await ctx.services.identityProviders.configureOidc(ctx.auth(), {
      issuer: input.issuer,
      tenantId: input.tenantId,
      clientId: input.clientId,
      clientSecret: input.clientSecret,
      claim: opt(input.claim),
      matchBy: opt(input.matchBy),
      justInTimeProvisioning: opt(input.justInTimeProvisioning),
    });
    return identityProviderView(idp);
  }

  @Mutation(() => IdentityProviderType)
  async setIdentityProviderEnabled(
    @Arg("kind", () => IdentityProviderKindEnum) kind: IdentityProviderKind,
    @Arg("enabled") enabled: boolean,
    @Ctx() ctx: GraphqlContext,
  ): Promise<IdentityProviderType> {
    return identityProviderView(await ctx.services.identityProviders.setEnabled(ctx.auth(), kind, enabled));
  }

  @Mutation(() => IdentityProviderType, { description: "Just-in-time creation of unknown users on sign-in (off by default)" })
  async setJustInTimeProvisioning(
    @Arg("kind", () => IdentityProviderKindEnum) kind: IdentityProviderKind,
    @Arg("enabled") enabled: boolean,
    @Ctx() ctx: GraphqlContext,
  ): Promise<IdentityProviderType> {
    return identityProviderView(await ctx.services.identityProviders.setJustInTimeProvisioning(ctx.auth(), kind, enabled));
  }

  @Mutation(() => Boolean)
  async deleteIdentityProvider(@Arg("kind", () => IdentityProviderKindEnum) kind: IdentityProviderKind, @Ctx() ctx: GraphqlContext): Promise<boolean> {
    await ctx.services.identityProviders.delete(ctx.auth(), kind);
    return true;
  }
}

@Resolver()
export class MeResolver {
  @Query(() => UserType, { nullable: true, description: "The signed-in user (SSO session); null for token callers. A signed-in non-admin sees other users (their manager) as a card: id, userName, displayName, name, active and dates; their other fields are null or empty" })
  async me(@Ctx() ctx: GraphqlContext): Promise<User | null> {
    const p = ctx.principal();
    if (!p?.userId) return null;
    return ctx.services.users.find(p.context, p.userId);
  }
}
