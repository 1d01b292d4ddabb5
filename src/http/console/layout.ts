/** The frame of every console page: skip link, navigation, who is logged in, the page's content. */
import { html, type Html, type HtmlPart } from './html.js';
import { CONSOLE } from './paths.js';

/** Who looks at the console: a token's holder, or the local user when no token is configured. */
export interface ConsoleUser {
  name: string;
  canWrite: boolean;
  /** False without tokens (loopback only): there is nothing to log out of. */
  loggedIn: boolean;
}

export type Section = 'today' | 'messages' | 'queries' | 'mapping' | 'status' | 'login';

const NAV: readonly [Section, string, string][] = [
  ['today', 'Today', CONSOLE.today],
  ['messages', 'Messages', CONSOLE.messages],
  ['queries', 'Queries', CONSOLE.queries],
  ['mapping', 'Workbench', CONSOLE.mapping],
  ['status', 'Status', CONSOLE.status],
];

export interface PageOptions {
  title: string;
  section: Section;
  user: ConsoleUser | undefined;
  body: HtmlPart;
}

export function page(opts: PageOptions): Html {
  const { user } = opts;
  const nav = user
    ? html`<nav aria-label="Console">
        <ul>
          ${NAV.map(([section, label, href]) => html`<li><a href="${href}" ${section === opts.section ? html`aria-current="page"` : ''}>${label}</a></li>`)}
        </ul>
      </nav>`
    : '';
  const who = user
    ? html`<div class="who">
        <span>${user.name} (${user.canWrite ? 'read and write' : 'read only'})</span>
        ${
          user.loggedIn
            ? html`<form method="post" action="${CONSOLE.logout}"><button type="submit">Log out</button></form>`
            : html`<span class="hint">no tokens configured: open to this host only</span>`
        }
      </div>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${opts.title} · mwl-bridge</title>
        <link rel="stylesheet" href="${CONSOLE.assets}/console.css" />
        <link rel="icon" href="${CONSOLE.assets}/favicon.svg" type="image/svg+xml" />
        <script src="${CONSOLE.assets}/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <a class="brand" href="${CONSOLE.today}">mwl-bridge</a>
          ${nav} ${who}
        </header>
        <main id="main" tabindex="-1">
          <h1>${opts.title}</h1>
          ${opts.body}
        </main>
      </body>
    </html>`;
}
