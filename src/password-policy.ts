import { validationError } from "./errors";
import type { SettingsStore } from "./settings";

let commonPasswords: Promise<Set<string>> | undefined;

/** zxcvbn-ts's list of ~30k common passwords, embedded; loaded on first use only. */
function loadCommonPasswords(): Promise<Set<string>> {
  commonPasswords ??= import("@zxcvbn-ts/language-common").then(({ dictionary }) => new Set(dictionary["passwords-common"]));
  return commonPasswords;
}

/**
 * What a new password must be beyond its length (checked by the schema): with
 * `reject_common_passwords` on, not on the common-password list, in any letter case. Used by
 * register, password change, reset and (later) admin-set passwords.
 */
export async function assertAcceptablePassword(settings: SettingsStore, password: string, field: string): Promise<void> {
  if (!(await settings.current()).reject_common_passwords) return;
  if ((await loadCommonPasswords()).has(password.toLowerCase()))
    throw validationError({ [field]: ["This password is too common."] });
}
