import type { AppConfig } from "./config";

/** argon2id through Bun.password: async, so hashing runs on Bun's thread pool, not the event loop. */
export class PasswordHasher {
  // A real hash to verify against when the account does not exist, so an unknown email costs
  // the same time as a wrong password.
  private decoy?: Promise<string>;

  constructor(private readonly cost: AppConfig["passwordCost"]) {}

  hash(password: string): Promise<string> {
    return Bun.password.hash(password, { algorithm: "argon2id", ...this.cost });
  }

  verify(password: string, hash: string): Promise<boolean> {
    return Bun.password.verify(password, hash);
  }

  async verifyDecoy(password: string): Promise<false> {
    this.decoy ??= this.hash(crypto.randomUUID());
    await this.verify(password, await this.decoy);
    return false;
  }
}
