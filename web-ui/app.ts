import { api, setCsrf, whenUnauthenticated } from './api.ts';
import { h } from './dom.ts';
import { live } from './live.ts';
import { callsPage } from './pages/calls.ts';
import { consolePage } from './pages/console.ts';
import { forwardingPage } from './pages/forwarding.ts';
import { groupsPage } from './pages/groups.ts';
import { dashboardPage } from './pages/dashboard.ts';
import { dnsPage } from './pages/dns.ts';
import { eventsPage } from './pages/events.ts';
import { extensionsPage } from './pages/extensions.ts';
import { loginPage, setupPage } from './pages/login.ts';
import { peersPage } from './pages/peers.ts';
import { registrationsPage } from './pages/registrations.ts';
import { securityPage } from './pages/security.ts';
import { systemPage } from './pages/system.ts';
import { trunksPage } from './pages/trunks.ts';
import { clearNotice, notify, type Page } from './ui.ts';
import type { Session } from './types.ts';

/** The admin UI: a hash-routed single page over the JSON API. */
const PAGES: [string, string, Page][] = [
  ['', 'Dashboard', dashboardPage],
  ['extensions', 'Extensions', extensionsPage],
  ['registrations', 'Registrations', registrationsPage],
  ['calls', 'Calls', callsPage],
  ['console', 'Console', consolePage],
  ['groups', 'Groups', groupsPage],
  ['forwarding', 'Forwarding', forwardingPage],
  ['trunks', 'Trunks', trunksPage],
  ['dns', 'DNS', dnsPage],
  ['peers', 'Peers', peersPage],
  ['security', 'Security', securityPage],
  ['system', 'System', systemPage],
  ['events', 'Events', eventsPage],
];

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const liveState = document.getElementById('live-state') as HTMLElement;
let leave: void | (() => void);
let authenticated = false;

function route(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
}

function buildNav(): void {
  const current = route()[0] ?? '';
  nav.replaceChildren(
    h('ul', {}, PAGES.map(([path, label]) => h('li', {}, h('a', { href: `#/${path}`, 'aria-current': path === current ? 'page' : null }, label)))),
    h('button', { type: 'button', class: 'logout', onclick: () => void logout() }, 'Log out'));
  nav.hidden = false;
}

async function logout(): Promise<void> {
  try {
    await api('POST', '/api/logout');
  } finally {
    authenticated = false;
    live.stop();
    location.hash = '#/login';
    void boot();
  }
}

function render(): void {
  if (typeof leave === 'function') leave();
  leave = undefined;
  clearNotice();
  if (!authenticated) return void boot();
  const [path] = route();
  const page = PAGES.find(([p]) => p === (path ?? '')) ?? PAGES[0];
  document.title = `${page[1]} · Office SIP appliance`;
  buildNav();
  leave = page[2](main);
  main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
}

async function boot(): Promise<void> {
  const s = await api<Session>('GET', '/api/session');
  setCsrf(s.csrfToken);
  authenticated = s.authenticated;
  const entered = () => {
    authenticated = true;
    // Replace, not push: the setup or login entry leaves no trace in the history.
    if (/^#\/(setup|login)/.test(location.hash)) history.replaceState(null, '', '#/');
    live.start();
    render();
  };
  if (s.authenticated) return entered();
  nav.hidden = true;
  live.stop();
  const [path, token] = route();
  if (s.setupRequired) {
    document.title = 'First-run setup · Office SIP appliance';
    // The one-time token goes into the form and out of the address bar and the history at once.
    if (path === 'setup' && token) history.replaceState(null, '', '#/setup');
    return setupPage(main, path === 'setup' ? token ?? '' : '', entered);
  }
  document.title = 'Log in · Office SIP appliance';
  loginPage(main, entered);
}

whenUnauthenticated(() => {
  if (!authenticated) return;
  authenticated = false;
  notify('Your session has ended: log in again', 'error');
  void boot();
});
/** What a tab says when its session ended elsewhere (another tab logged out, the password changed). */
const LOGOUT_WORDS: Record<string, string> = {
  'logged-out': 'You were logged out in another tab or window.',
  'password-changed': 'The admin password was changed (in another tab or browser): every other session ended.',
  expired: 'Your session expired: log in again.',
};
live.onLogout = (reason) => {
  authenticated = false;
  void boot().then(() => {
    if (reason && LOGOUT_WORDS[reason]) notify(LOGOUT_WORDS[reason]!, 'error');
  });
};
live.onState = (state) => {
  liveState.textContent = state === 'live' ? '● live' : '○ reconnecting…';
  liveState.className = `live-state ${state}`;
};
window.addEventListener('hashchange', () => {
  if (authenticated) return render();
  // A setup link pasted into a tab that shows the setup page already: take its token.
  const [path, token] = route();
  if (path === 'setup' && token) void boot();
});
void boot().catch((err) => notify(`Cannot reach the appliance: ${err.message}`, 'error'));
