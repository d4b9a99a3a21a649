import { fullFormats } from 'ajv-formats/dist/formats.js';

/**
 * A user profile's `profileId` is an AnyURI in the REST binding (the OpenAPI declares `format: uri`),
 * while the CSV binding's sourcedIds (`0-9 A-Z a-z . - _ / @`) can never be absolute URIs. Profiles
 * keep their sourcedId; REST and GraphQL serve `profileIdUri(sourcedId)`: a URN under PREFIX holding
 * the sourcedId (percent-encoded where the URI syntax needs it), or the sourcedId itself when it
 * already is an absolute URI. `sourcedIdOfProfileUri` is the exact inverse, for profiles and
 * `roles[].userProfile` values read back from a REST source.
 */
export const PROFILE_URN_PREFIX = 'urn:oneroster-graph:profile:';

const isUri = fullFormats.uri as (s: string) => boolean;
// RFC 3986 pchar without '%': kept as is; everything else is percent-encoded (UTF-8).
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

export function profileIdUri(sourcedId: string): string {
  if (isUri(sourcedId) && !sourcedId.startsWith(PROFILE_URN_PREFIX)) return sourcedId;
  let nss = '';
  for (const c of sourcedId) nss += PCHAR.test(c) ? c : encodeURIComponent(c);
  return PROFILE_URN_PREFIX + nss;
}

export function sourcedIdOfProfileUri(uri: string): string {
  return uri.startsWith(PROFILE_URN_PREFIX) ? decodeURIComponent(uri.slice(PROFILE_URN_PREFIX.length)) : uri;
}
