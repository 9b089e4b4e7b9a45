import { t } from "elysia";
import { FormatRegistry } from "elysia/type-system";
import type { Account } from "../../db/schema";
import { validationError } from "../../errors";
import { trustedResponse } from "../../fast-paths";
import { HIDDEN_OR_CONTROL } from "../../usernames";

/** Field schemas shared by every route that takes or returns a user. */
export const EmailField = t.String({ format: "email", maxLength: 254, examples: ["ada@example.com"] });
export const PasswordField = t.String({ minLength: 8, maxLength: 128, examples: ["correct horse battery"] });

/**
 * Usernames are display names ("John Smith", "Zoë Ω 测试"): any text of at most 150 characters
 * (code points) once trimmed, no control characters; "" means unset. This format is the one
 * place that decides it; `UsernameField` trims what it accepts.
 */
export const USERNAME_MAX_LENGTH = 150;
FormatRegistry.Set("display-name", (value) => {
  const text = value.trim();
  return !HIDDEN_OR_CONTROL.test(text) && (text.length <= USERNAME_MAX_LENGTH || [...text].length <= USERNAME_MAX_LENGTH);
});
export const USERNAME_RULE = `Usernames are 1 to ${USERNAME_MAX_LENGTH} characters once trimmed (spaces, accents and any script are fine), with no control, invisible or direction-changing characters; "" unsets it.`;
export const UsernameField = t
  .Transform(t.String({ format: "display-name", error: USERNAME_RULE, description: USERNAME_RULE, examples: ["John Smith"] }))
  .Decode((username) => username.trim())
  .Encode((username) => username);

export const NameField = t.String({ maxLength: 150, error: "At most 150 characters.", examples: ["Ada"] });

/** The profile's own fields (seed 004), as /api/me/ and /api/users/{username}/ take them. */
export const METADATA_MAX_BYTES = 4096;
export const ProfileFields = {
  first_name: NameField,
  last_name: NameField,
  bio: t.String({ maxLength: 2000, error: "At most 2000 characters.", examples: ["Mathematician."] }),
  location: t.String({ maxLength: 150, error: "At most 150 characters.", examples: ["London"] }),
  avatar: t.String({
    maxLength: 2048,
    pattern: "^(https?://[^\\s]+)?$",
    error: 'An http(s) URL of at most 2048 characters, or "" for none.',
    examples: ["https://example.com/ada.png"],
  }),
  privacy: t.Boolean({ description: "A private profile is seen only by its owner and staff." }),
  metadata: t.Record(t.String(), t.Unknown(), {
    description: `A free JSON object for an app's own fields (such as fav_sport_1..3), at most ${METADATA_MAX_BYTES} bytes as JSON and 8 levels deep. Replaced whole when sent.`,
    examples: [{ fav_sport_1: "tennis" }],
  }),
};

/** A change to a profile: any of its fields, the username included. */
export const ProfileUpdate = t.Object(
  {
    username: t.Optional(UsernameField),
    first_name: t.Optional(ProfileFields.first_name),
    last_name: t.Optional(ProfileFields.last_name),
    bio: t.Optional(ProfileFields.bio),
    location: t.Optional(ProfileFields.location),
    avatar: t.Optional(ProfileFields.avatar),
    privacy: t.Optional(ProfileFields.privacy),
    metadata: t.Optional(ProfileFields.metadata),
  },
  {
    description: "Only these fields can be changed here; any other field (email, is_staff, password…) is ignored.",
    examples: [{ username: "John Smith" }, { bio: "Mathematician.", privacy: true, metadata: { fav_sport_1: "tennis" } }],
  },
);
export type ProfileUpdate = typeof ProfileUpdate.static;

export const METADATA_MAX_DEPTH = 8;

/** How deeply objects and arrays nest in `value`, itself counted (iterative: no stack to overflow). */
function nestingOf(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== "object" || current === null) continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Metadata is a free object: what its schema cannot say (a plain object, not an array, at
 * most 4 KiB as JSON and 8 levels deep, so that no client's JSON parser chokes on a profile)
 * is checked here, at the edge, as a transform hook.
 */
export function checkMetadata({ body }: { body: unknown }) {
  const metadata = (body as { metadata?: unknown } | undefined)?.metadata;
  if (metadata === undefined) return;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    throw validationError({ metadata: ["A JSON object."] });
  if (Buffer.byteLength(JSON.stringify(metadata)) > METADATA_MAX_BYTES)
    throw validationError({ metadata: [`At most ${METADATA_MAX_BYTES} bytes as JSON.`] });
  if (nestingOf(metadata) > METADATA_MAX_DEPTH)
    throw validationError({ metadata: [`At most ${METADATA_MAX_DEPTH} levels of objects and arrays.`] });
}

const profileResponseFields = {
  username: t.String({ description: 'Empty ("") until the user sets one.' }),
  first_name: t.String(),
  last_name: t.String(),
  bio: t.String(),
  location: t.String(),
  avatar: t.String(),
  privacy: t.Boolean(),
  metadata: t.Record(t.String(), t.Unknown()),
};

const EXAMPLE_PROFILE = {
  id: 1,
  username: "John Smith",
  first_name: "John",
  last_name: "Smith",
  bio: "",
  location: "",
  avatar: "",
  privacy: false,
  metadata: {},
};

export const PublicUser = trustedResponse(
  t.Object(
    {
      id: t.Number({ multipleOf: 1 }),
      email: t.String(),
      ...profileResponseFields,
      is_active: t.Boolean(),
      is_staff: t.Boolean(),
      is_superuser: t.Boolean(),
      email_verified: t.Boolean(),
      date_joined: t.String({ format: "date-time" }),
      last_login: t.Nullable(t.String({ format: "date-time" })),
    },
    {
      examples: [
        {
          ...EXAMPLE_PROFILE,
          email: "user@example.com",
          is_active: true,
          is_staff: false,
          is_superuser: false,
          email_verified: false,
          date_joined: "2026-01-01T00:00:00.000Z",
          last_login: null,
        },
      ],
    },
  ),
);
export type PublicUser = typeof PublicUser.static;

/** A profile as /api/users/{username}/ shows it: no email, no flags. */
export const Profile = trustedResponse(t.Object({ id: t.Number({ multipleOf: 1 }), ...profileResponseFields }, { examples: [EXAMPLE_PROFILE] }));
export type Profile = typeof Profile.static;

/** One hit of the profile search. */
export const ProfileSummary = t.Object({
  id: t.Number({ multipleOf: 1 }),
  username: t.String(),
  avatar: t.String(),
  privacy: t.Boolean(),
});

export const toProfile = (user: Account): Profile => ({
  id: user.id,
  username: user.username,
  first_name: user.firstName,
  last_name: user.lastName,
  bio: user.bio,
  location: user.location,
  avatar: user.avatar,
  privacy: user.privacy,
  metadata: user.metadata,
});

/** The only way a user row leaves the server: no hash, dates as ISO strings. */
export const toPublicUser = (user: Account): PublicUser => ({
  ...toProfile(user),
  email: user.email,
  is_active: user.isActive,
  is_staff: user.isStaff,
  is_superuser: user.isSuperuser,
  email_verified: user.emailVerifiedAt !== null,
  date_joined: user.dateJoined.toISOString(),
  last_login: user.lastLogin?.toISOString() ?? null,
});

/** The one form of an email that is stored and looked up: trimmed and lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** A transform hook: a body's `email` normalised before validation (" Ada@Example.COM " is fine). */
export function normalizeBodyEmail({ body }: { body: unknown }) {
  const fields = body as { email?: unknown } | undefined;
  if (typeof fields?.email === "string") fields.email = normalizeEmail(fields.email);
}
