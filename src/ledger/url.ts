/**
 * Naming a database in logs and errors without its credentials.
 */

/** describeUrl is `postgres://host:port/db` without user or password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(unparseable url)';
  }
}
