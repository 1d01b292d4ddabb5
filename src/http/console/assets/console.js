// The console's one script (served from /console/assets, allowed by the Content-Security-Policy):
// a part of a page marked data-refresh is fetched again every few seconds and replaced, while the
// tab is visible; the status line says when it was last updated. Without it the pages still work.
'use strict';

const REFRESH_MS = 5000;

function refresh(target, status) {
  if (document.hidden) return;
  fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
    .then((response) => {
      if (response.redirected || !response.ok) throw new Error(response.redirected ? 'logged out' : `HTTP ${response.status}`);
      return response.text();
    })
    .then((text) => {
      const fresh = new DOMParser().parseFromString(text, 'text/html').querySelector(`[data-refresh="${target.dataset.refresh}"]`);
      if (!fresh) throw new Error('the page changed');
      // Replaced only when different, so that focus and selection in it survive unchanged refreshes.
      if (fresh.innerHTML !== target.innerHTML) target.replaceChildren(...fresh.childNodes);
      if (status) status.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    })
    .catch((error) => {
      if (status) status.textContent = `Could not refresh (${error.message}); retrying.`;
    });
}

document.addEventListener('DOMContentLoaded', () => {
  const status = document.querySelector('[data-refresh-status]');
  for (const target of document.querySelectorAll('[data-refresh]')) {
    window.setInterval(() => refresh(target, status), REFRESH_MS);
  }
});
