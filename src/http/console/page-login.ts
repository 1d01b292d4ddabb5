/** The login form: an access token (mwl-bridge token NAME --role read|write), kept in an HttpOnly cookie. */
import { html, type Html } from './html.js';
import { CONSOLE } from './paths.js';

export function loginBody(next: string, error: string | undefined, tokensConfigured: boolean): Html {
  if (!tokensConfigured) {
    return html`<p>No access tokens are configured (http.tokensFile): the console is open to this host only. <a href="${CONSOLE.today}">Go to Today</a>.</p>`;
  }
  return html`${error ? html`<p class="error-text" role="alert" id="login-error">${error}</p>` : ''}
    <form method="post" action="${CONSOLE.login}" class="login">
      <input type="hidden" name="next" value="${next}" />
      <label for="token">Access token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="current-password"
        required
        maxlength="200"
        autofocus
        aria-describedby="token-hint ${error ? 'login-error' : ''}"
      />
      <p id="token-hint" class="hint">A token made with <code>mwl-bridge token NAME --role read</code> (or <code>--role write</code>).</p>
      <button type="submit">Log in</button>
    </form>`;
}
