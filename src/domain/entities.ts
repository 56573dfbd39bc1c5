import { AuditEvent } from "./audit/audit-event.entity";
import { CustomFieldDefinition } from "./custom-fields/custom-field-definition.entity";
import { CustomFieldValue } from "./custom-fields/custom-field-value.entity";
import { Group } from "./groups/group.entity";
import { GroupMembership } from "./groups/group-membership.entity";
import { OAuthClientSecret } from "./oauth/oauth-client-secret.entity";
import { OAuthClient } from "./oauth/oauth-client.entity";
import { SigningKey } from "./oauth/signing-key.entity";
import { Organisation } from "./organisations/organisation.entity";
import { RetiredSlug } from "./organisations/retired-slug.entity";
import { RateLimitCounter } from "./rate-limits/rate-limit-counter.entity";
import { Role } from "./roles/role.entity";
import { RoleAssignment } from "./roles/role-assignment.entity";
import { AccessToken } from "./tokens/access-token.entity";
import { ProvisioningLogEntry } from "./provisioning-log/provisioning-log-entry.entity";
import { ProvisioningLogResource } from "./provisioning-log/provisioning-log-resource.entity";
import { ReplayEntry } from "./replay/replay-entry.entity";
import { Session } from "./sessions/session.entity";
import { IdentityProvider } from "./sso/identity-provider.entity";
import { UserContact } from "./users/user-contact.entity";
import { User } from "./users/user.entity";

/** Every entity the data source knows; migrations are generated from exactly this list. */
export const entities = [
  Organisation,
  RetiredSlug,
  User,
  UserContact,
  Group,
  GroupMembership,
  Role,
  RoleAssignment,
  CustomFieldDefinition,
  CustomFieldValue,
  AccessToken,
  AuditEvent,
  ProvisioningLogEntry,
  ProvisioningLogResource,
  IdentityProvider,
  Session,
  ReplayEntry,
  OAuthClient,
  OAuthClientSecret,
  SigningKey,
  RateLimitCounter,
];
