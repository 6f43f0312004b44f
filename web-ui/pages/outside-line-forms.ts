import { api } from '../api.ts';
import { field, h } from '../dom.ts';
import type { Origin, Trunk } from '../types.ts';
import { CALL_CLASS_ORDER } from '../call-classes.ts';
import { clearFormError, notify, showFormError } from '../ui.ts';


/** "from config" (fixed) or "added here" (editable): where a trunk, route or number comes from. */
export function originBadge(origin: Origin): HTMLElement {
  return h('span', { class: `badge origin-${origin}`, title: origin === 'config' ? 'set in the configuration file: edited there' : 'added in the UI or CLI: editable here' },
    origin === 'config' ? 'from config' : 'added here');
}

/** A form posting its fields as JSON; the API's error is shown at the field it names. */
function jsonForm(label: string, title: string, fields: HTMLElement[], submit: string, send: () => Promise<unknown>, done: () => void): HTMLFormElement {
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': label },
    h('h3', {}, title), h('div', { class: 'form-grid' }, ...fields), h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, submit)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    try {
      await send();
      form.reset();
      done();
    } catch (err) {
      showFormError(form, err);
    }
  });
  return form;
}

const text = (name: string, placeholder = '', type = 'text') => h('input', { name, placeholder, type, autocomplete: 'off' });
const optional = (v: string) => (v.trim() === '' ? undefined : v.trim());

/** Add a trunk (POST /api/trunks): the `[[trunks]]` keys; the password goes to the store sealed, never back. */
export function addTrunkForm(done: () => void): HTMLFormElement {
  const name = text('name', 'provider2');
  const registrar = text('registrar', 'sip.provider.example');
  const transport = h('select', { name: 'transport' }, ['udp', 'tcp', 'tls'].map((t) => h('option', { value: t }, t.toUpperCase())));
  const username = text('username', '5551230000');
  const password = text('password', '', 'password');
  password.setAttribute('autocomplete', 'new-password');
  const authUsername = text('authUsername', 'default: the user name');
  const domain = text('domain', 'default: the registrar host');
  const callerId = text('callerId', '+15551230000');
  const register = h('select', { name: 'register' }, h('option', { value: 'yes' }, 'yes'), h('option', { value: 'no' }, 'no (IP-authenticated)'));
  return jsonForm('Add trunk', 'Add a trunk', [
    field('Name', name, 'letters, digits, . _ -'), field('Registrar', registrar, 'host or host:port'), field('Transport', transport),
    field('User name', username), field('Password', password, 'kept encrypted; never shown again'), field('Auth user', authUsername),
    field('Domain', domain), field('Caller ID', callerId, 'default outgoing identity'), field('Register', register, 'with the user name and password'),
  ], 'Add trunk', () => api('POST', '/api/trunks', {
    name: name.value.trim(), registrar: registrar.value.trim(), transport: transport.value, username: username.value.trim(),
    password: password.value === '' ? undefined : password.value, authUsername: optional(authUsername.value), domain: optional(domain.value),
    callerId: optional(callerId.value), register: register.value === 'yes',
  }), () => {
    notify('Trunk added: it registers now');
    done();
  });
}

/**
 * Edit a trunk added here in place (PATCH /api/trunks/:name), like an extension: its fields
 * filled in, only those changed are sent (an emptied optional one goes as null: its default
 * again); the password field starts empty and is sent only when typed (write-only: the API
 * never gives it back). A registering trunk registers again with what was saved.
 */
export function editTrunkForm(t: Trunk, done: () => void): HTMLFormElement {
  const registrar = text('registrar');
  registrar.value = t.registrar;
  const transport = h('select', { name: 'transport' }, ['udp', 'tcp', 'tls'].map((x) => h('option', { value: x, selected: x === t.transport }, x.toUpperCase())));
  const username = text('username');
  username.value = t.username ?? '';
  const password = text('password', 'unchanged', 'password');
  password.setAttribute('autocomplete', 'new-password');
  const authUsername = text('authUsername', 'default: the user name');
  authUsername.value = t.authUsername && t.authUsername !== t.username ? t.authUsername : '';
  const domain = text('domain', 'default: the registrar host');
  domain.value = t.domain ?? '';
  const callerId = text('callerId', '+15551230000');
  callerId.value = t.callerId ?? '';
  const keepalive = text('keepalive', '30');
  keepalive.value = t.keepalive === null ? '' : String(t.keepalive);
  const tlsCa = text('tlsCa', '/etc/office/provider-ca.pem (TLS only)');
  tlsCa.value = t.tlsCa ?? '';
  const register = h('select', { name: 'register' }, h('option', { value: 'yes', selected: t.register !== false }, 'yes'),
    h('option', { value: 'no', selected: t.register === false }, 'no (IP-authenticated)'));
  const initial: Record<string, unknown> = {
    registrar: t.registrar, transport: t.transport, username: t.username, authUsername: authUsername.value || null, domain: t.domain,
    callerId: t.callerId, keepalive: t.keepalive, tlsCa: t.tlsCa, register: t.register,
  };
  const changes = () => {
    const now: Record<string, unknown> = {
      registrar: registrar.value.trim(), transport: transport.value, username: username.value.trim(), authUsername: optional(authUsername.value) ?? null,
      domain: optional(domain.value) ?? null, callerId: optional(callerId.value) ?? null, tlsCa: optional(tlsCa.value) ?? null, register: register.value === 'yes',
      // A count as typed: a whole number goes as one; anything else as text, for the API to refuse naming the field.
      keepalive: keepalive.value.trim() === '' ? initial.keepalive : /^[0-9]{1,6}$/.test(keepalive.value.trim()) ? Number(keepalive.value.trim()) : keepalive.value.trim(),
    };
    const patch: Record<string, unknown> = Object.fromEntries(Object.entries(now).filter(([k, v]) => v !== initial[k]));
    if (password.value !== '') patch.password = password.value;
    return patch;
  };
  const form = jsonForm(`Edit trunk ${t.name}`, `Edit trunk ${t.name}`, [
    field('Registrar', registrar, 'host or host:port'), field('Transport', transport), field('User name', username),
    field('New password', password, 'empty: keep the one stored; never shown'), field('Auth user', authUsername), field('Domain', domain),
    field('Caller ID', callerId, 'default outgoing identity'), field('Keep-alive (s)', keepalive, '0: none'), field('TLS CA file', tlsCa, 'a provider with a private CA'),
    field('Register', register, 'with the user name and password'),
  ], 'Save trunk', () => {
    const patch = changes();
    if (Object.keys(patch).length === 0) return Promise.resolve();
    return api('PATCH', `/api/trunks/${encodeURIComponent(t.name)}`, patch);
  }, () => {
    notify(`Trunk ${t.name} saved${t.register !== false ? ': it registers again' : ''}`);
    done();
  });
  form.querySelector('.buttons')?.append(h('button', { type: 'button', onclick: () => done() }, 'Cancel'));
  return form;
}

/** A route as the dial plan shows it (to edit one added here). */
export interface RouteValues { name: string; pattern: string; replace: string; trunk: string; class: string; failover: readonly string[] }

/**
 * Add an outbound route (POST /api/dial-plan/routes), after the configuration file's; or, given
 * `existing` (one added here), change it (PUT /api/dial-plan/routes/:name; its name stays).
 */
export function routeForm(trunks: readonly string[], done: () => void, existing?: RouteValues): HTMLFormElement {
  const name = text('name', 'mobile');
  const pattern = text('pattern', '^9(1[2-9][0-9]{9})$');
  const replace = text('replace', '+$1 (default: unchanged)');
  const trunk = h('select', { name: 'trunk' }, trunks.map((t) => h('option', { value: t, selected: t === existing?.trunk }, t)));
  const cls = h('select', { name: 'class' }, CALL_CLASS_ORDER.map((c) => h('option', { value: c, selected: c === (existing?.class ?? 'national') }, c)));
  const failover = text('failover', 'backup, third');
  if (existing) {
    name.value = existing.name;
    name.readOnly = true;
    pattern.value = existing.pattern;
    replace.value = existing.replace === '$&' ? '' : existing.replace;
    failover.value = existing.failover.join(', ');
  }
  const body = () => ({
    pattern: pattern.value.trim(), replace: optional(replace.value), trunk: trunk.value, class: cls.value,
    failover: failover.value.split(',').map((s) => s.trim()).filter((s) => s !== ''),
  });
  return jsonForm(existing ? `Edit route ${existing.name}` : 'Add route', existing ? `Edit route ${existing.name}` : 'Add a route', [
    field('Name', name), field('Dialled pattern', pattern, 'a regular expression on the dialled number; no nested repeats'),
    field('Provider receives', replace, '$1 … from the pattern\'s groups'), field('Trunk', trunk), field('Class', cls), field('Fail-over trunks', failover, 'comma-separated, tried in order'),
  ], existing ? 'Save route' : 'Add route', () => (existing
    ? api('PUT', `/api/dial-plan/routes/${encodeURIComponent(existing.name)}`, body())
    : api('POST', '/api/dial-plan/routes', { name: name.value.trim(), ...body() })), () => {
    notify(existing ? 'Route saved' : 'Route added');
    done();
  });
}

/** Add an inbound number (POST /api/dial-plan/inbound). */
export function addInboundForm(trunks: readonly string[], done: () => void): HTMLFormElement {
  const did = text('did', '+15551230100, a pattern, or *');
  const trunk = h('select', { name: 'trunk' }, trunks.map((t) => h('option', { value: t }, t)));
  const to = text('to', '201');
  return jsonForm('Add inbound number', 'Add an inbound number', [field('Number', did, 'E.164 with +, a regular expression, or * for any'), field('Trunk', trunk), field('Rings', to, 'an extension or ring group')],
    'Add number', () => api('POST', '/api/dial-plan/inbound', { did: did.value.trim(), trunk: trunk.value, to: to.value.trim() }), () => {
      notify('Inbound number added');
      done();
    });
}

/** Choose the emergency trunk (PUT /api/dial-plan/emergency), when the configuration file names none. */
export function emergencyForm(trunks: readonly string[], current: string | null, done: () => void): HTMLFormElement {
  const trunk = h('select', { name: 'trunk' }, trunks.map((t) => h('option', { value: t, selected: t === current }, t)));
  return jsonForm('Emergency trunk', 'Emergency calls leave by', [field('Trunk', trunk)], 'Save',
    () => api('PUT', '/api/dial-plan/emergency', { trunk: trunk.value }), () => {
      notify('Emergency trunk saved');
      done();
    });
}
