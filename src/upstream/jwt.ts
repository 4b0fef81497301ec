/**
 * Reading (never verifying) JWT claims: the gateway only needs to recognise a
 * refresh token and know when an access token expires (RFC 7519 section 4.1.4).
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** JwtClaims are the few registered and simplejwt claims the gateway reads. */
export interface JwtClaims {
  readonly tokenType: string | undefined;
  /** Expiry, seconds since the epoch. */
  readonly exp: number | undefined;
  /** Issued at, seconds since the epoch. */
  readonly iat: number | undefined;
}

/** readJwtClaims decodes the payload of a compact JWS, or returns undefined if `token` is not one. */
export function readJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  for (const part of parts) if (!BASE64URL.test(part)) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const claims = payload as Record<string, unknown>;
  return {
    tokenType: typeof claims['token_type'] === 'string' ? claims['token_type'] : undefined,
    exp: typeof claims['exp'] === 'number' ? claims['exp'] : undefined,
    iat: typeof claims['iat'] === 'number' ? claims['iat'] : undefined,
  };
}

/** isJwtRefreshToken recognises a simplejwt-style refresh token (`token_type: "refresh"`). */
export function isJwtRefreshToken(token: string): boolean {
  return readJwtClaims(token)?.tokenType === 'refresh';
}
