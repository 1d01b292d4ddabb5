/** Where the console's pages and assets are, and the cookie that keeps a console user's token. */

export const CONSOLE = {
  today: '/',
  items: '/console/items',
  newItem: '/console/items/new',
  item: (id: number): string => `/console/items/${id}`,
  itemEdit: (id: number): string => `/console/items/${id}/edit`,
  itemCancel: (id: number): string => `/console/items/${id}/cancel`,
  itemMirrorFile: (id: number): string => `/console/items/${id}/mirror-file`,
  messages: '/console/messages',
  message: (id: number): string => `/console/messages/${id}`,
  messageReprocess: (id: number): string => `/console/messages/${id}/reprocess`,
  mapping: '/console/mapping',
  queries: '/console/queries',
  query: (id: number): string => `/console/queries/${id}`,
  status: '/console/status',
  login: '/console/login',
  logout: '/console/logout',
  assets: '/console/assets',
} as const;

/** The cookie holding the token typed into the login form (HttpOnly, SameSite=Strict). */
export const TOKEN_COOKIE = 'mwlb_console';

/** Paths anyone may ask for: the login form, logging out, and the static assets. */
export function isOpenConsolePath(path: string): boolean {
  return path === CONSOLE.login || path === CONSOLE.logout || path.startsWith(`${CONSOLE.assets}/`);
}

/** Whether a path is a console page (a browser without a token is sent to the login form). */
export function isConsolePage(path: string): boolean {
  return path === CONSOLE.today || path.startsWith('/console/');
}

/** The token cookie's value in a Cookie header, or undefined. */
export function tokenFromCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === TOKEN_COOKIE) {
      const value = pair.slice(eq + 1).trim();
      return /^[\x21-\x7e]{1,200}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** A "next" page to return to after logging in: a local path only (never another site). */
export function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(next) ? next : CONSOLE.today;
}
