import { expect } from 'vitest';
import { AuthError } from '../../src/auth/tokens.js';

/** The AuthError reason a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).reason;
  }
  throw new Error('expected an AuthError');
}
