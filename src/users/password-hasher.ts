import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id parameters: 19 MiB of memory, 2 passes, 1 lane. */
const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (an ambient const enum) */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * argon2id through @node-rs/argon2: prebuilt for every platform as ordinary npm packages, so installing
 * needs no C++ toolchain (the `argon2` package compiles from source on Node 20), and it hashes off the event loop.
 */
@Injectable()
export class PasswordHasher {
  /** Verified against when the user does not exist, so that both cases cost the same. */
  private readonly dummyHash = hash('not-a-real-password-but-a-timing-equaliser', OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  /** Checks a password against a stored hash, or against a dummy hash when there is none. */
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    if (storedHash === undefined) {
      await verify(await this.dummyHash, password);
      return false;
    }
    try {
      return await verify(storedHash, password);
    } catch {
      return false;
    }
  }
}
