// Authorization: Bearer <secret>, compared in constant time against every configured secret
// (several so a secret can be rotated without downtime). Hashing first makes the comparison
// independent of the secrets' lengths, and every secret is compared, so timing says nothing.
import { createHash, timingSafeEqual } from 'node:crypto';

const digestOf = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function isAuthorized(
  authorizationHeader: string | null | undefined,
  secrets: readonly string[],
): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorizationHeader ?? '');
  const presented = digestOf(m?.[1] ?? '');
  let ok = false;
  for (const secret of secrets) ok = timingSafeEqual(presented, digestOf(secret)) || ok;
  return ok && m !== null;
}
