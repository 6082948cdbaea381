/* safemig operator console: plain browser JavaScript, no build step.
 *
 * Contract: docs/operator-api.md. Security rule: text that comes from the
 * server or from a user reaches the page only through text nodes (el(),
 * textContent), never through HTML parsing; the page runs under a strict CSP.
 */
'use strict';

(() => {
  const MAX_REPLY = 4000;
  const REFRESH_MS = 30000;   // safety-net poll next to the live stream
  const TICK_MS = 15000;      // how often the "waiting 5 min" labels move
  const ALERT_REPEAT_MS = 60000;
  const OUTCOMES = ['information_given', 'offer_verified', 'referred_assistance',
    'referred_police', 'possible_victim', 'no_answer'];
  const SENDERS = ['user', 'bot', 'operator'];
  const LANG_KEY = 'safemig.console.lang';
  const ALERTS_KEY = 'safemig.console.alerts';

  // ---------------------------------------------------------------- strings
  // Whole sentences with named placeholders; never glue translated pieces.
  const STRINGS = {
    en: {
      app_title: 'Hotline console', lang_switch: 'Română', lang_switch_label: 'Schimbă limba consolei în română',
      login_title: 'Sign in', username: 'User name', password: 'Password', login: 'Sign in', logout: 'Sign out',
      err_login: 'Wrong name or password.', err_login_empty: 'Enter your user name and password.',
      err_throttled: 'Too many attempts. Try again in {seconds} seconds.',
      err_throttled_later: 'Too many attempts. Try again later.',
      err_network: 'The server cannot be reached. Check the connection and try again.',
      err_session: 'Your session has ended. Please sign in again.',
      err_forbidden: 'You are not allowed to do this.', err_not_found: 'This chat no longer exists.',
      err_generic: 'Something went wrong (error {status}).',
      signed_in_as: 'Signed in as {name} ({role})', role_operator: 'operator', role_supervisor: 'supervisor',
      alerts_enable: 'Enable alerts', alerts_on: 'Alerts on', alerts_off: 'Alerts off',
      alerts_enable_hint: 'Play a sound and show a notification for every urgent chat',
      alerts_on_hint: 'Click to silence the alerts', alerts_off_hint: 'Click to turn the alerts back on',
      alerts_enabled_msg: 'Alerts are on: a sound and a notification for every urgent chat.',
      alerts_sound_only: 'Alerts are on. The browser does not allow notifications, so only the sound will play.',
      alerts_silenced: 'Alerts are off. Urgent chats are still marked in red in the queue.',
      notif_title: 'Urgent chat waiting', notif_body: 'Chat {id} needs an operator now.',
      live: 'Live', reconnecting: 'Reconnecting…',
      tabs_label: 'Queues', tab_waiting: 'Waiting', tab_mine: 'Mine', tab_active: 'All active',
      tab_closed: 'Closed', tab_supervisor: 'Supervisor', count_urgent: '{n}, urgent',
      empty_waiting: 'No one is waiting.', empty_mine: 'You are not holding any chat.',
      empty_active: 'No chat is active.', empty_closed: 'No closed chats.', loading: 'Loading…',
      select_chat: 'Select a chat from the queue.', back: '← Back to the queue',
      urgent: 'Urgent', after_hours: 'After hours', none: '—', unassigned: 'Unassigned', you: '{name} (you)',
      position: 'No. {n} in the queue', waiting_for: 'Waiting {time}', waited: 'Waited {time}',
      dur_lt_min: 'under 1 min', dur_min: '{m} min', dur_h: '{h} h {m} min', dur_d: '{d} d {h} h',
      risk_low: 'Low risk', risk_medium: 'Medium risk', risk_high: 'High risk',
      reason_asked: 'Asked for a person', reason_emergency: 'Emergency',
      reason_high_risk_offer: 'High-risk job offer', reason_misunderstanding: 'The bot did not understand',
      status_waiting: 'Waiting', status_active: 'Active', status_closed: 'Closed',
      outcome_information_given: 'Information given', outcome_offer_verified: 'Offer verified',
      outcome_referred_assistance: 'Referred to assistance services', outcome_referred_police: 'Referred to the police',
      outcome_possible_victim: 'Possible victim of trafficking', outcome_no_answer: 'No answer from the person',
      langname_ro: 'Romanian', langname_ru: 'Russian', langname_uk: 'Ukrainian', langname_en: 'English', langname_rom: 'Romani',
      channel_telegram: 'Telegram', channel_viber: 'Viber', channel_web: 'Web chat', channel_terminal: 'Terminal',
      field_status: 'Status', field_language: 'Language', field_channel: 'Channel', field_reason: 'Reason',
      field_risk: 'Risk', field_assignee: 'Operator', field_opened: 'Opened', field_wait: 'Wait',
      field_outcome: 'Outcome', field_position: 'Queue',
      transcript_label: 'Conversation', no_messages: 'No messages yet.',
      sender_user: 'Person', sender_bot: 'Bot', sender_operator: 'Operator {name}',
      kind_other: 'Not a text message: {kind}',
      kind_button: 'Pressed a button:',
      note_item: 'Internal note, never sent to the user', note_by: 'by {name}',
      check_title: 'Job offer check ({source})', source_text: 'from a message', source_questionnaire: 'from the questionnaire',
      check_score: 'Score {score}', check_flags: 'Warning signs', check_no_flags: 'No warning signs found.',
      check_protective: 'Reassuring signs',
      claim: 'Take this chat', claimed: 'You are now handling this chat.',
      claim_taken: 'Another operator took this chat.', held_by_other: '{name} is handling this chat.',
      canned_label: 'Canned reply', canned_choose: 'Insert a canned reply…', canned_none: 'No canned replies in this language',
      reply_label: 'Reply to the person', reply_hint: 'Enter sends, Shift+Enter starts a new line.',
      reply_count: '{n} / {max} characters', send: 'Send', sent: 'Message sent.',
      err_empty: 'Write a message first.', err_too_long: 'The message is too long: at most {max} characters.',
      note_label: 'Internal note (never sent to the user)', note_add: 'Add note', note_added: 'Note added.',
      err_empty_note: 'Write the note first.',
      transfer_label: 'Transfer to another operator', transfer_choose: 'Choose an operator…',
      transfer_none: 'No other operator is available', operator_option: '{name} ({count} active)',
      transfer: 'Transfer', transferred: 'The chat was transferred to {name}.', err_choose_operator: 'Choose an operator first.',
      outcome_label: 'Outcome', outcome_choose: 'Choose an outcome…', close: 'Close chat', close_confirm: 'Confirm close',
      close_cancel: 'Cancel', closed_ok: 'The chat is closed; the bot has taken it back.',
      close_ask: 'Press “Confirm close” to close this chat with the outcome “{outcome}”. The bot will take the conversation back.',
      err_choose_outcome: 'Choose an outcome before closing.',
      sup_title: 'Overview', sup_waiting: 'Waiting', sup_urgent: 'Urgent and waiting', sup_oldest: 'Longest wait now',
      sup_median_wait: 'Median wait (7 days)', sup_operators: 'Operators', sup_outcomes: 'Outcomes (30 days)',
      sup_reasons: 'Reasons (30 days)', sup_audit: 'Latest actions', sup_nothing: 'Nothing recorded.',
      col_operator: 'Operator', col_role: 'Role', col_active: 'Active chats', col_closed7: 'Closed in 7 days',
      col_first_reply: 'Median first reply (7 days)', col_outcome: 'Outcome', col_reason: 'Reason', col_count: 'Chats',
      col_time: 'Time', col_action: 'Action', col_handoff: 'Chat', col_detail: 'Detail', open_chat: 'Open chat {id}',
    },
    ro: {
      app_title: 'Consola liniei fierbinți', lang_switch: 'English', lang_switch_label: 'Switch the console to English',
      login_title: 'Autentificare', username: 'Nume de utilizator', password: 'Parolă', login: 'Intră', logout: 'Ieșire',
      err_login: 'Nume sau parolă greșită.', err_login_empty: 'Introduceți numele de utilizator și parola.',
      err_throttled: 'Prea multe încercări. Încercați din nou peste {seconds} secunde.',
      err_throttled_later: 'Prea multe încercări. Încercați din nou mai târziu.',
      err_network: 'Serverul nu poate fi contactat. Verificați conexiunea și încercați din nou.',
      err_session: 'Sesiunea s-a încheiat. Vă rugăm să vă autentificați din nou.',
      err_forbidden: 'Nu aveți dreptul să faceți acest lucru.', err_not_found: 'Această conversație nu mai există.',
      err_generic: 'Ceva nu a mers bine (eroarea {status}).',
      signed_in_as: 'Conectat ca {name} ({role})', role_operator: 'operator', role_supervisor: 'supervizor',
      alerts_enable: 'Activează alertele', alerts_on: 'Alerte pornite', alerts_off: 'Alerte oprite',
      alerts_enable_hint: 'Un sunet și o notificare pentru fiecare conversație urgentă',
      alerts_on_hint: 'Apăsați pentru a opri alertele', alerts_off_hint: 'Apăsați pentru a porni din nou alertele',
      alerts_enabled_msg: 'Alertele sunt pornite: un sunet și o notificare pentru fiecare conversație urgentă.',
      alerts_sound_only: 'Alertele sunt pornite. Browserul nu permite notificări, așa că se va auzi doar sunetul.',
      alerts_silenced: 'Alertele sunt oprite. Conversațiile urgente rămân marcate cu roșu în coadă.',
      notif_title: 'Conversație urgentă în așteptare', notif_body: 'Conversația {id} are nevoie acum de un operator.',
      live: 'În direct', reconnecting: 'Reconectare…',
      tabs_label: 'Cozi', tab_waiting: 'În așteptare', tab_mine: 'Ale mele', tab_active: 'Toate active',
      tab_closed: 'Închise', tab_supervisor: 'Supervizor', count_urgent: '{n}, urgente',
      empty_waiting: 'Nu așteaptă nimeni.', empty_mine: 'Nu vă ocupați de nicio conversație.',
      empty_active: 'Nu este activă nicio conversație.', empty_closed: 'Nu există conversații închise.', loading: 'Se încarcă…',
      select_chat: 'Alegeți o conversație din coadă.', back: '← Înapoi la coadă',
      urgent: 'Urgent', after_hours: 'În afara programului', none: '—', unassigned: 'Nepreluată', you: '{name} (dvs.)',
      position: 'Nr. {n} în coadă', waiting_for: 'Așteaptă de {time}', waited: 'A așteptat {time}',
      dur_lt_min: 'sub 1 min', dur_min: '{m} min', dur_h: '{h} h {m} min', dur_d: '{d} z {h} h',
      risk_low: 'Risc scăzut', risk_medium: 'Risc mediu', risk_high: 'Risc ridicat',
      reason_asked: 'A cerut un operator', reason_emergency: 'Urgență',
      reason_high_risk_offer: 'Ofertă de muncă cu risc ridicat', reason_misunderstanding: 'Botul nu a înțeles',
      status_waiting: 'În așteptare', status_active: 'Activă', status_closed: 'Închisă',
      outcome_information_given: 'Informații oferite', outcome_offer_verified: 'Ofertă verificată',
      outcome_referred_assistance: 'Îndrumată spre servicii de asistență', outcome_referred_police: 'Îndrumată spre poliție',
      outcome_possible_victim: 'Posibilă victimă a traficului', outcome_no_answer: 'Persoana nu a răspuns',
      langname_ro: 'Română', langname_ru: 'Rusă', langname_uk: 'Ucraineană', langname_en: 'Engleză', langname_rom: 'Romani',
      channel_telegram: 'Telegram', channel_viber: 'Viber', channel_web: 'Chat pe site', channel_terminal: 'Terminal',
      field_status: 'Stare', field_language: 'Limba', field_channel: 'Canal', field_reason: 'Motiv',
      field_risk: 'Risc', field_assignee: 'Operator', field_opened: 'Deschisă', field_wait: 'Așteptare',
      field_outcome: 'Rezultat', field_position: 'Coadă',
      transcript_label: 'Conversația', no_messages: 'Încă nu există mesaje.',
      sender_user: 'Persoana', sender_bot: 'Bot', sender_operator: 'Operator {name}',
      kind_other: 'Nu este un mesaj text: {kind}',
      kind_button: 'A apăsat un buton:',
      note_item: 'Notă internă, nu se trimite niciodată persoanei', note_by: 'de {name}',
      check_title: 'Verificarea ofertei de muncă ({source})', source_text: 'dintr-un mesaj', source_questionnaire: 'din chestionar',
      check_score: 'Scor {score}', check_flags: 'Semnale de alarmă', check_no_flags: 'Nu s-au găsit semnale de alarmă.',
      check_protective: 'Semne liniștitoare',
      claim: 'Preia conversația', claimed: 'Acum vă ocupați de această conversație.',
      claim_taken: 'Un alt operator a preluat această conversație.', held_by_other: '{name} se ocupă de această conversație.',
      canned_label: 'Răspuns pregătit', canned_choose: 'Inserează un răspuns pregătit…', canned_none: 'Nu există răspunsuri pregătite în această limbă',
      reply_label: 'Răspuns pentru persoană', reply_hint: 'Enter trimite, Shift+Enter trece la un rând nou.',
      reply_count: '{n} / {max} caractere', send: 'Trimite', sent: 'Mesajul a fost trimis.',
      err_empty: 'Scrieți mai întâi un mesaj.', err_too_long: 'Mesajul este prea lung: cel mult {max} caractere.',
      note_label: 'Notă internă (nu se trimite persoanei)', note_add: 'Adaugă nota', note_added: 'Nota a fost adăugată.',
      err_empty_note: 'Scrieți mai întâi nota.',
      transfer_label: 'Transferă altui operator', transfer_choose: 'Alegeți un operator…',
      transfer_none: 'Nu este disponibil niciun alt operator', operator_option: '{name} ({count} active)',
      transfer: 'Transferă', transferred: 'Conversația a fost transferată către {name}.', err_choose_operator: 'Alegeți mai întâi un operator.',
      outcome_label: 'Rezultat', outcome_choose: 'Alegeți rezultatul…', close: 'Închide conversația', close_confirm: 'Confirmă închiderea',
      close_cancel: 'Anulează', closed_ok: 'Conversația a fost închisă; botul a preluat-o din nou.',
      close_ask: 'Apăsați „Confirmă închiderea” pentru a închide conversația cu rezultatul „{outcome}”. Botul va prelua din nou conversația.',
      err_choose_outcome: 'Alegeți un rezultat înainte de a închide.',
      sup_title: 'Privire de ansamblu', sup_waiting: 'În așteptare', sup_urgent: 'Urgente în așteptare', sup_oldest: 'Cea mai lungă așteptare acum',
      sup_median_wait: 'Așteptarea mediană (7 zile)', sup_operators: 'Operatori', sup_outcomes: 'Rezultate (30 de zile)',
      sup_reasons: 'Motive (30 de zile)', sup_audit: 'Ultimele acțiuni', sup_nothing: 'Nimic înregistrat.',
      col_operator: 'Operator', col_role: 'Rol', col_active: 'Conversații active', col_closed7: 'Închise în 7 zile',
      col_first_reply: 'Primul răspuns, mediana (7 zile)', col_outcome: 'Rezultat', col_reason: 'Motiv', col_count: 'Conversații',
      col_time: 'Ora', col_action: 'Acțiune', col_handoff: 'Conversație', col_detail: 'Detalii', open_chat: 'Deschide conversația {id}',
    },
  };

  // ------------------------------------------------------------------ state
  const state = {
    lang: 'en',
    me: null,            // {username, role}
    csrf: null,          // in memory only, never stored
    tab: 'waiting',
    list: [], listAt: 0, listLoaded: false,
    counts: { waiting: null, mine: null, urgent: 0 },
    openId: null, detail: null, detailAt: 0, transcriptKey: '', transcriptCount: 0,
    canned: new Map(),   // handoff language -> [{id, title, text}]
    operators: [], operatorsAt: 0,
    drafts: new Map(),   // "<id>:reply" / "<id>:note" -> unsent text, memory only
    closeArmed: false, closeTimer: null,
    overview: null, audit: null,
    events: null, eventsRetry: null, live: 'reconnecting',
    refreshTimer: null, pendingDetail: false, timers: [],
    alerts: true, audio: null, alerted: new Map(),
    seq: { list: 0, detail: 0, sup: 0 },
  };

  // ------------------------------------------------------------- utilities
  const $ = (id) => document.getElementById(id);

  function t(key, params) {
    const dict = STRINGS[state.lang] || STRINGS.en;
    let s = Object.hasOwn(dict, key) ? dict[key] : (Object.hasOwn(STRINGS.en, key) ? STRINGS.en[key] : key);
    if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (Object.hasOwn(params, k) ? String(params[k]) : m));
    return s;
  }

  // A human label for a code ("reason_", "emergency"), or the code itself when unknown.
  function label(prefix, value) {
    if (value === null || value === undefined || value === '') return t('none');
    return Object.hasOwn(STRINGS.en, prefix + value) ? t(prefix + value) : String(value);
  }

  /* The only way this file builds DOM: strings become text nodes, so markup
     inside user or server text is shown literally and never parsed. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'className') node.className = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false || child === '') continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const storage = {
    get(key) { try { return window.localStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { window.localStorage.setItem(key, value); } catch { /* private mode */ } },
  };

  // Python's len() counts code points, as the server's 4,000 limit does.
  const charCount = (text) => Array.from(text).length;

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return t('none');
    const m = Math.floor(Number(seconds) / 60);
    if (m < 1) return t('dur_lt_min');
    if (m < 60) return t('dur_min', { m });
    const h = Math.floor(m / 60);
    if (h < 24) return t('dur_h', { h, m: m % 60 });
    return t('dur_d', { d: Math.floor(h / 24), h: h % 24 });
  }

  function timeEl(iso) {
    const d = new Date(iso);
    if (!iso || Number.isNaN(d.getTime())) return el('span', { className: 'time' }, t('none'));
    const locale = state.lang === 'ro' ? 'ro-MD' : 'en-GB';
    const today = d.toDateString() === new Date().toDateString();
    const short = new Intl.DateTimeFormat(locale, today
      ? { hour: '2-digit', minute: '2-digit' }
      : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(d);
    const full = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'medium' }).format(d);
    return el('time', { className: 'time', datetime: iso, title: full }, short);
  }

  function badge(text, kind) { return el('span', { className: 'badge ' + kind }, text); }

  function riskBadge(risk) {
    if (!['low', 'medium', 'high'].includes(risk)) return null;
    return badge(t('risk_' + risk), 'risk risk-' + risk);
  }

  function assigneeLabel(h) {
    if (!h.assignee) return t('unassigned');
    return state.me && h.assignee === state.me.username ? t('you', { name: h.assignee }) : h.assignee;
  }

  const isSupervisor = () => Boolean(state.me && state.me.role === 'supervisor');

  // ---------------------------------------------------------- status area
  let statusTimer = null;
  function say(message, kind = 'info') {
    const box = $('status');
    clearTimeout(statusTimer);
    box.textContent = '';
    box.className = 'status';
    // Emptying first and filling a moment later makes screen readers
    // announce a message again even when it repeats the previous one.
    statusTimer = setTimeout(() => {
      box.textContent = message;
      box.className = 'status ' + kind;
      if (kind !== 'error') statusTimer = setTimeout(() => { box.textContent = ''; box.className = 'status'; }, 8000);
    }, 50);
  }

  function report(err) {
    if (err && err.status === 401) return;   // endSession() has already said so
    say(err && err.message ? err.message : t('err_generic', { status: '?' }), 'error');
  }

  // ------------------------------------------------------------------- api
  class ApiError extends Error {
    constructor(status, message, retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  function errorText(data, status) {
    const detail = data && data.detail;
    if (typeof detail === 'string' && detail) return detail;
    if (Array.isArray(detail)) {   // FastAPI validation errors
      const msgs = detail.map((d) => (d && typeof d.msg === 'string' ? d.msg : '')).filter(Boolean);
      if (msgs.length) return msgs.join('; ');
    }
    if (status === 401) return t('err_session');
    if (status === 403) return t('err_forbidden');
    if (status === 404) return t('err_not_found');
    return t('err_generic', { status });
  }

  // Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3).
  function retryAfterSeconds(res) {
    const value = res.headers.get('Retry-After');
    if (!value) return null;
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }

  /* The one fetch helper. Sends the session cookie and, on every POST, the
     CSRF token; throws ApiError with a readable message; a 401 ends the
     session unless the caller handles it (opts.quiet401). */
  async function api(path, opts = {}) {
    const method = opts.method || 'GET';
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError(0, t('err_network'), null);
    }
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    if (res.ok) return data;
    // A sign-in from another tab replaces the shared session cookie and so
    // its token: fetch the current token once and retry. A 403 changes
    // nothing on the server, so the retry cannot do anything twice.
    if (res.status === 403 && method !== 'GET' && state.me && !opts.retried) {
      const fresh = await api('/api/auth/me').catch(() => null);
      if (fresh && fresh.csrf_token && fresh.csrf_token !== state.csrf) {
        state.csrf = fresh.csrf_token;
        return api(path, { ...opts, retried: true });
      }
    }
    if (res.status === 401 && !opts.quiet401) endSession(t('err_session'));
    throw new ApiError(res.status, errorText(data, res.status), retryAfterSeconds(res));
  }

  const handoffPath = (id, action) => '/api/handoffs/' + encodeURIComponent(id) + (action ? '/' + action : '');

  // ------------------------------------------------------------- language
  function detectLang() {
    const saved = storage.get(LANG_KEY);
    if (saved && Object.hasOwn(STRINGS, saved)) return saved;
    return (navigator.language || '').toLowerCase().startsWith('ro') ? 'ro' : 'en';
  }

  function setLang(lang) {
    state.lang = lang;
    document.documentElement.lang = lang;
    storage.set(LANG_KEY, lang);
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
      node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
    }
    const toggle = $('lang');
    toggle.textContent = t('lang_switch');
    toggle.lang = lang === 'ro' ? 'en' : 'ro';   // the button names the other language in itself
    toggle.setAttribute('aria-label', t('lang_switch_label'));
    fillOutcomes();
    setLive(state.live);
    updateAlertsButton();
    if (state.me) renderAll();
  }

  function renderAll() {
    $('whoami').textContent = t('signed_in_as', { name: state.me.username, role: label('role_', state.me.role) });
    renderTabs();
    if (state.listLoaded) renderQueue();
    if (state.detail) {
      state.transcriptKey = '';
      $('canned').dataset.sig = '';
      $('transfer-to').dataset.sig = '';
      renderDetail();
    }
    if (state.closeArmed) armClose();
    if (state.tab === 'supervisor' && state.overview) renderSupervisor();
  }

  // -------------------------------------------------------------- session
  async function resumeSession() {
    try {
      startSession(await api('/api/auth/me', { quiet401: true }));
    } catch (err) {
      showLogin();
      if (err.status !== 401) report(err);
    }
  }

  function showLogin() {
    $('app-view').hidden = true;
    $('login-view').hidden = false;
    for (const id of ['logout', 'whoami', 'alerts', 'live']) $(id).hidden = true;
    $('username').focus();
  }

  function showLoginError(message) {
    const box = $('login-error');
    box.textContent = message;
    box.hidden = false;
  }

  async function onLoginSubmit(ev) {
    ev.preventDefault();
    const username = $('username').value.trim();
    const password = $('password').value;
    $('login-error').hidden = true;
    if (!username || !password) { showLoginError(t('err_login_empty')); return; }
    const button = $('login-submit');
    button.disabled = true;
    try {
      const me = await api('/api/auth/login', { method: 'POST', body: { username, password }, quiet401: true });
      $('password').value = '';
      startSession(me);
    } catch (err) {
      $('password').value = '';
      if (err.status === 401) showLoginError(t('err_login'));
      else if (err.status === 429) {
        showLoginError(err.retryAfter !== null ? t('err_throttled', { seconds: err.retryAfter }) : t('err_throttled_later'));
      } else showLoginError(err.message);
      $('password').focus();
    } finally {
      button.disabled = false;
    }
  }

  function startSession(me) {
    state.timers.forEach(clearInterval);   // a second start must not double the timers
    state.timers = [];
    state.me = { username: me.username, role: me.role };
    state.csrf = me.csrf_token;
    $('login-view').hidden = true;
    $('login-error').hidden = true;
    $('app-view').hidden = false;
    for (const id of ['logout', 'whoami', 'alerts', 'live']) $(id).hidden = false;
    document.querySelector('[data-tab="supervisor"]').hidden = !isSupervisor();
    renderAll();
    selectTab('waiting');
    connectEvents();
    state.timers.push(setInterval(() => refreshAll(true), REFRESH_MS));
    state.timers.push(setInterval(tickTimes, TICK_MS));
  }

  // Forget everything that was on screen: a shared computer must not keep
  // transcripts around after the session is gone.
  function endSession(message) {
    if (!state.me) return;
    closeEvents();
    state.timers.forEach(clearInterval);
    clearTimeout(state.refreshTimer);
    Object.assign(state, {
      me: null, csrf: null, timers: [], list: [], listLoaded: false, openId: null, detail: null,
      overview: null, audit: null, operators: [], operatorsAt: 0, refreshTimer: null, transcriptKey: '',
      counts: { waiting: null, mine: null, urgent: 0 },
    });
    for (const key of Object.keys(state.seq)) state.seq[key] += 1;   // answers still on their way are dropped
    state.canned.clear();
    state.drafts.clear();
    for (const id of ['queue', 'detail-head', 'transcript', 'supervisor']) $(id).replaceChildren();
    for (const id of ['reply-text', 'note-text']) $(id).value = '';
    closeDetail();
    disarmClose();
    showLogin();
    if (message) say(message, 'error');
  }

  async function logout() {
    try { await api('/api/auth/logout', { method: 'POST', quiet401: true }); } catch { /* ending anyway */ }
    endSession(null);
  }

  // ---------------------------------------------------------------- queue
  function selectTab(tab) {
    if (tab === 'supervisor' && !isSupervisor()) tab = 'waiting';
    if (tab !== state.tab) { state.list = []; state.listLoaded = false; }
    state.tab = tab;
    $('app-view').classList.remove('show-detail');   // phones: a tab shows its list
    const sup = tab === 'supervisor';
    $('layout').hidden = sup;
    $('supervisor').hidden = !sup;
    renderTabs();
    if (sup) { loadSupervisor(); return; }
    renderQueue();
    loadQueue();
    loadCounts();
  }

  async function loadQueue() {
    if (!state.me || state.tab === 'supervisor') return;
    const tab = state.tab;
    const seq = ++state.seq.list;
    try {
      const items = await api('/api/handoffs?status=' + encodeURIComponent(tab));
      if (seq !== state.seq.list || tab !== state.tab) return;   // a newer request won
      state.list = Array.isArray(items) ? items : [];
      state.listAt = Date.now();
      state.listLoaded = true;
      noteCounts(tab, state.list);
      renderQueue();
      renderTabs();
    } catch (err) { report(err); }
  }

  // The waiting and mine tabs show counts even when another tab is open.
  async function loadCounts() {
    const tabs = ['waiting', 'mine'].filter((tab) => tab !== state.tab);
    await Promise.all(tabs.map(async (tab) => {
      try { noteCounts(tab, await api('/api/handoffs?status=' + tab)); } catch (err) { report(err); }
    }));
    renderTabs();
  }

  function noteCounts(tab, items) {
    if (!Array.isArray(items) || !(tab === 'waiting' || tab === 'mine')) return;
    state.counts[tab] = items.length;
    if (tab === 'waiting') state.counts.urgent = items.filter((h) => h.urgent).length;
  }

  function renderTabs() {
    for (const button of document.querySelectorAll('[data-tab]')) {
      if (button.dataset.tab === state.tab) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
    const { waiting, mine, urgent } = state.counts;
    const wc = $('count-waiting');
    wc.textContent = waiting === null ? '' : String(waiting);
    wc.classList.toggle('has-urgent', urgent > 0);
    if (urgent > 0) wc.setAttribute('title', t('count_urgent', { n: urgent })); else wc.removeAttribute('title');
    $('count-mine').textContent = mine === null ? '' : String(mine);
    $('queue-title').textContent = t('tab_' + state.tab);
    document.title = (waiting ? '(' + waiting + ') ' : '') + t('app_title');
  }

  function renderQueue() {
    const list = $('queue');
    const focused = document.activeElement;
    const focusedId = focused && focused.classList.contains('handoff-row') ? focused.dataset.id : null;
    list.replaceChildren(...state.list.map(queueRow));
    const empty = $('queue-empty');
    empty.hidden = state.list.length > 0;
    empty.textContent = state.listLoaded ? t('empty_' + state.tab) : t('loading');
    // Keep keyboard focus on the same chat when the list is rebuilt.
    if (focusedId) {
      const row = [...list.querySelectorAll('.handoff-row')].find((b) => b.dataset.id === focusedId);
      if (row) row.focus();
    }
  }

  function queueRow(h) {
    const closed = h.status === 'closed';
    const row = el('button', {
      type: 'button',
      className: 'handoff-row' + (h.urgent ? ' urgent' : ''),
      'data-id': String(h.id),
      'aria-current': String(h.id) === String(state.openId) ? 'true' : null,
    },
    el('span', { className: 'row-line row-title' },
      el('span', { className: 'pseudonym' }, h.pseudonym),
      h.urgent ? badge(t('urgent'), 'urgent-badge') : null,
      riskBadge(h.risk),
      h.after_hours ? badge(t('after_hours'), 'after-hours') : null),
    el('span', { className: 'row-line row-meta' },
      [label('langname_', h.language), label('channel_', h.channel), label('reason_', h.reason)].join(' · ')),
    el('span', { className: 'row-line row-foot' },
      waitLabel(h, state.listAt),
      el('span', { className: 'assignee' }, assigneeLabel(h)),
      closed ? el('span', { className: 'outcome' }, label('outcome_', h.outcome)) : null,
      h.position ? el('span', { className: 'position' }, t('position', { n: h.position })) : null));
    return el('li', null, row);
  }

  /* waiting_seconds is exact when fetched; while a chat still waits, the
     label adds the time elapsed since, so it moves between refetches. */
  function waitLabel(h, fetchedAt) {
    const node = el('span', { className: 'wait' });
    node.dataset.base = String(Number(h.waiting_seconds) || 0);
    node.dataset.at = String(fetchedAt);
    if (h.status === 'waiting') node.dataset.live = '1';
    updateWait(node);
    return node;
  }

  function updateWait(node) {
    const live = node.dataset.live === '1';
    let seconds = Number(node.dataset.base);
    if (live) seconds += (Date.now() - Number(node.dataset.at)) / 1000;
    node.textContent = t(live ? 'waiting_for' : 'waited', { time: formatDuration(seconds) });
  }

  function tickTimes() { document.querySelectorAll('.wait').forEach(updateWait); }

  // --------------------------------------------------------------- detail
  function openHandoff(id) {
    id = String(id);   // ids travel as strings: data-id, drafts keys, comparisons
    if (id !== state.openId) {
      state.openId = id;
      state.detail = null;
      state.transcriptKey = '';
      state.transcriptCount = 0;
      disarmClose();
      $('detail-head').replaceChildren(el('p', { className: 'muted' }, t('loading')));
      $('transcript').replaceChildren();
      for (const kind of ['reply', 'note']) $(kind + '-text').value = state.drafts.get(id + ':' + kind) || '';
      for (const kind of ['claim', 'reply-form', 'transfer-form', 'close-form', 'held-by']) $(kind).hidden = true;
      updateCounter();
    }
    $('detail-empty').hidden = true;
    $('detail-body').hidden = false;
    $('app-view').classList.add('show-detail');
    for (const row of document.querySelectorAll('.handoff-row')) {
      if (row.dataset.id === String(id)) row.setAttribute('aria-current', 'true'); else row.removeAttribute('aria-current');
    }
    loadDetail(true);
  }

  function closeDetail() {
    state.openId = null;
    state.detail = null;
    $('detail-body').hidden = true;
    $('detail-empty').hidden = false;
    $('app-view').classList.remove('show-detail');
  }

  // Phones: back from the detail to the list, focus on the chat we left.
  function backToQueue() {
    const id = state.openId;
    closeDetail();
    renderQueue();
    const row = [...document.querySelectorAll('.handoff-row')].find((b) => b.dataset.id === String(id));
    if (row) row.focus();
  }

  async function loadDetail(focus = false) {
    const id = state.openId;
    if (id === null) return;
    const seq = ++state.seq.detail;
    try {
      const h = await api(handoffPath(id));
      if (seq !== state.seq.detail || String(id) !== String(state.openId)) return;
      if (state.detail && state.detail.status !== h.status) disarmClose();
      state.detail = h;
      state.detailAt = Date.now();
      renderDetail();
      // Where the list gave way to the detail (phones), focus would be lost
      // on a hidden row: move it to the chat's title instead.
      if (focus && $('queue-pane').offsetParent === null) $('detail-title').focus();
    } catch (err) {
      if (err.status === 404 && String(id) === String(state.openId)) { closeDetail(); renderQueue(); }
      report(err);
    }
  }

  function renderDetail() {
    const h = state.detail;
    if (!h || !state.me) return;
    renderDetailHead(h);
    renderTranscript(h);
    renderActions(h);
  }

  function renderDetailHead(h) {
    const facts = [
      ['field_status', label('status_', h.status)],
      ['field_language', label('langname_', h.language)],
      ['field_channel', label('channel_', h.channel)],
      ['field_reason', label('reason_', h.reason)],
      ['field_risk', h.risk ? label('risk_', h.risk) : t('none')],
      ['field_assignee', assigneeLabel(h)],
      ['field_opened', timeEl(h.opened_at)],
      ['field_wait', waitLabel(h, state.detailAt)],
      h.position ? ['field_position', t('position', { n: h.position })] : null,
      h.status === 'closed' ? ['field_outcome', label('outcome_', h.outcome)] : null,
    ].filter(Boolean);
    const hadFocus = document.activeElement && document.activeElement.id === 'detail-title';
    $('detail-head').replaceChildren(
      el('h2', { id: 'detail-title', tabindex: '-1', className: 'detail-title' },
        el('span', { className: 'pseudonym' }, h.pseudonym),
        h.urgent ? badge(t('urgent'), 'urgent-badge') : null,
        riskBadge(h.risk),
        h.after_hours ? badge(t('after_hours'), 'after-hours') : null),
      el('dl', { className: 'facts' }, facts.map(([key, value]) => el('div', null, el('dt', null, t(key)), el('dd', null, value)))));
    if (hadFocus) $('detail-title').focus();
  }

  /* Messages, offer checks and notes in one timeline by time. Rebuilt only
     when something changed, and scrolled to the newest item when it grew. */
  function renderTranscript(h) {
    const messages = Array.isArray(h.messages) ? h.messages : [];
    const notes = Array.isArray(h.notes) ? h.notes : [];
    const checks = Array.isArray(h.offer_checks) ? h.offer_checks : [];
    const last = (arr) => (arr.length ? arr[arr.length - 1].id : '');
    const key = [h.id, state.lang, messages.length, last(messages), notes.length, last(notes), checks.length].join('|');
    if (key === state.transcriptKey) return;
    const box = $('transcript');
    const count = messages.length + notes.length + checks.length;
    const grew = count > state.transcriptCount;
    const keepTop = box.scrollTop;
    const items = [
      ...messages.map((m) => ({ at: m.at, build: () => messageItem(m) })),
      ...checks.map((c) => ({ at: c.at, build: () => checkItem(c) })),
      ...notes.map((n) => ({ at: n.at, build: () => noteItem(n) })),
    ];
    const time = (iso) => Date.parse(iso) || 0;
    items.sort((a, b) => time(a.at) - time(b.at));   // stable: ties keep the order above
    box.replaceChildren(...items.map((item) => item.build()));
    if (!items.length) box.append(el('li', { className: 'muted' }, t('no_messages')));
    box.scrollTop = grew ? box.scrollHeight : keepTop;
    state.transcriptKey = key;
    state.transcriptCount = count;
  }

  function messageItem(m) {
    const sender = SENDERS.includes(m.sender) ? m.sender : 'bot';
    const who = sender === 'operator' ? t('sender_operator', { name: m.operator || t('none') }) : t('sender_' + sender);
    return el('li', { className: 'msg ' + sender, 'data-id': m.id },
      el('div', { className: 'meta' }, el('span', { className: 'who' }, who), timeEl(m.at)),
      m.kind && m.kind !== 'text'
        ? el('p', { className: 'kind' }, m.kind === 'button' ? t('kind_button') : t('kind_other', { kind: m.kind }))
        : null,
      m.text ? el('p', { className: 'text' }, m.text) : null);
  }

  function noteItem(n) {
    return el('li', { className: 'note', 'data-id': n.id },
      el('div', { className: 'meta' },
        el('span', { className: 'note-label' }, t('note_item')),
        el('span', { className: 'who' }, t('note_by', { name: n.author || t('none') })),
        timeEl(n.at)),
      el('p', { className: 'text' }, n.text));
  }

  function checkItem(c) {
    const flags = Array.isArray(c.flags) ? c.flags : [];
    const protective = Array.isArray(c.protective) ? c.protective : [];
    const score = Number.isFinite(Number(c.score)) ? Math.round(Number(c.score) * 100) / 100 : t('none');
    return el('li', { className: 'check', 'data-id': c.id },
      el('div', { className: 'meta' },
        el('span', { className: 'who' }, t('check_title', { source: label('source_', c.source) })), timeEl(c.at)),
      el('p', { className: 'check-summary' }, riskBadge(c.risk), el('span', null, t('check_score', { score }))),
      flags.length
        ? [el('p', { className: 'check-sub' }, t('check_flags')),
          el('ul', { className: 'flags' }, flags.map((f) => el('li', null,
            el('span', { className: 'flag-title' }, f.title || f.id),
            Array.isArray(f.evidence) && f.evidence.length
              ? el('ul', { className: 'evidence' }, f.evidence.map((q) => el('li', null, el('q', null, q))))
              : null)))]
        : el('p', { className: 'muted' }, t('check_no_flags')),
      protective.length
        ? [el('p', { className: 'check-sub' }, t('check_protective')),
          el('ul', { className: 'protective' }, protective.map((p) => el('li', null, p.title || p.id)))]
        : null);
  }

  // Which actions show depends on the status and on who holds the chat.
  function renderActions(h) {
    const mine = h.assignee === state.me.username;
    const sup = isSupervisor();
    const active = h.status === 'active';
    const waiting = h.status === 'waiting';
    $('claim').hidden = !waiting;
    $('reply-form').hidden = !(active && mine);
    $('transfer-form').hidden = !(active && (mine || sup));
    $('close-form').hidden = !((active && (mine || sup)) || (waiting && sup));
    const held = $('held-by');
    held.hidden = !(active && !mine);
    held.textContent = t('held_by_other', { name: h.assignee || t('none') });
    if (!$('reply-form').hidden) fillCanned(h.language);
    if (!$('transfer-form').hidden) fillOperators();
    updateCounter();
  }

  // -------------------------------------------------------------- actions
  // One POST action with its button disabled meanwhile: no double submits,
  // even from Enter held down in the reply box.
  async function act(button, work, onError = report) {
    if (button.disabled) return false;
    button.disabled = true;
    try { await work(); return true; } catch (err) { onError(err); return false; } finally { button.disabled = false; }
  }

  async function claim() {
    const h = state.detail;
    if (!h) return;
    const won = await act($('claim'), async () => {
      await api(handoffPath(h.id, 'claim'), { method: 'POST' });
      say(t('claimed'), 'ok');
    }, (err) => (err.status === 409 ? say(t('claim_taken'), 'error') : report(err)));
    refreshAll(false);
    await loadDetail();
    if (won && !$('reply-form').hidden) $('reply-text').focus();
  }

  // kind 'reply' goes to the user (messages); kind 'note' stays internal (notes).
  async function postText(kind) {
    const h = state.detail;
    const box = $(kind + '-text');
    const text = box.value.trim();
    if (!h) return;
    let problem = text ? null : t(kind === 'reply' ? 'err_empty' : 'err_empty_note');
    if (kind === 'reply' && charCount(text) > MAX_REPLY) problem = t('err_too_long', { max: MAX_REPLY });
    if (problem) { say(problem, 'error'); box.focus(); return; }
    await act($(kind === 'reply' ? 'reply-send' : 'note-add'), async () => {
      await api(handoffPath(h.id, kind === 'reply' ? 'messages' : 'notes'), { method: 'POST', body: { text } });
      state.drafts.delete(h.id + ':' + kind);
      if (String(state.openId) === String(h.id)) box.value = '';
      updateCounter();
      say(t(kind === 'reply' ? 'sent' : 'note_added'), 'ok');
    });
    loadDetail();   // shows the new item, or after a 409 who holds the chat now
  }

  async function transfer() {
    const h = state.detail;
    const operator = $('transfer-to').value;
    if (!h) return;
    if (!operator) { say(t('err_choose_operator'), 'error'); $('transfer-to').focus(); return; }
    await act($('transfer'), async () => {
      await api(handoffPath(h.id, 'transfer'), { method: 'POST', body: { operator } });
      say(t('transferred', { name: operator }), 'ok');
      state.operatorsAt = 0;   // their loads changed
    });
    refreshAll(true);
  }

  // Closing takes two clicks: the first arms the button, the second closes.
  async function onCloseSubmit() {
    const h = state.detail;
    const outcome = $('outcome').value;
    if (!h) return;
    if (!outcome) { disarmClose(); say(t('err_choose_outcome'), 'error'); $('outcome').focus(); return; }
    if (!state.closeArmed) { armClose(); return; }
    await act($('close'), async () => {
      await api(handoffPath(h.id, 'close'), { method: 'POST', body: { outcome } });
      $('outcome').value = '';
      say(t('closed_ok'), 'ok');
    });
    disarmClose();
    refreshAll(true);
  }

  function armClose() {
    state.closeArmed = true;
    $('close').textContent = t('close_confirm');
    $('close').classList.add('armed');
    $('close-cancel').hidden = false;
    $('close-ask').textContent = t('close_ask', { outcome: label('outcome_', $('outcome').value) });
    $('close-ask').hidden = false;
    clearTimeout(state.closeTimer);
    state.closeTimer = setTimeout(disarmClose, 20000);   // an armed button must not linger
  }

  function disarmClose() {
    state.closeArmed = false;
    clearTimeout(state.closeTimer);
    $('close').textContent = t('close');
    $('close').classList.remove('armed');
    $('close-cancel').hidden = true;
    $('close-ask').hidden = true;
  }

  // -------------------------------------------------------- select options
  function fillOutcomes() {
    const select = $('outcome');
    const keep = select.value;
    select.replaceChildren(el('option', { value: '' }, t('outcome_choose')),
      ...OUTCOMES.map((o) => el('option', { value: o }, label('outcome_', o))));
    select.value = keep;
  }

  async function fillCanned(language) {
    if (!state.canned.has(language)) {
      state.canned.set(language, []);   // at most one request per language
      try {
        const items = await api('/api/canned?language=' + encodeURIComponent(language));
        state.canned.set(language, Array.isArray(items) ? items : []);
      } catch (err) { report(err); }
    }
    if (!state.detail || state.detail.language !== language) return;
    const items = state.canned.get(language);
    const select = $('canned');
    // Rebuilding an open <select> would close it under the operator's pointer.
    const sig = [language, state.lang, ...items.map((c) => c.id)].join('|');
    if (select.dataset.sig === sig) return;
    select.dataset.sig = sig;
    select.dataset.language = language;
    select.replaceChildren(el('option', { value: '' }, t(items.length ? 'canned_choose' : 'canned_none')),
      ...items.map((c) => el('option', { value: String(c.id) }, c.title)));
    select.disabled = !items.length;
  }

  // A canned reply goes into the textarea for editing, never straight out.
  function insertCanned() {
    const select = $('canned');
    const items = state.canned.get(select.dataset.language) || [];
    const item = items.find((c) => String(c.id) === select.value);
    select.value = '';
    if (!item) return;
    const box = $('reply-text');
    box.setRangeText(String(item.text), box.selectionStart, box.selectionEnd, 'end');
    box.focus();
    onDraftInput('reply');
  }

  async function fillOperators() {
    if (Date.now() - state.operatorsAt > REFRESH_MS) {
      state.operatorsAt = Date.now();
      try {
        const ops = await api('/api/operators');
        state.operators = Array.isArray(ops) ? ops : [];
      } catch (err) { report(err); }
    }
    const h = state.detail;
    if (!h || !state.me) return;
    const others = state.operators.filter((o) => o.username !== state.me.username && o.username !== h.assignee);
    const select = $('transfer-to');
    const sig = [state.lang, ...others.map((o) => o.username + ':' + o.active_handoffs)].join('|');
    if (select.dataset.sig === sig) return;
    select.dataset.sig = sig;
    const keep = select.value;
    select.replaceChildren(el('option', { value: '' }, t(others.length ? 'transfer_choose' : 'transfer_none')),
      ...others.map((o) => el('option', { value: o.username },
        t('operator_option', { name: o.username, count: o.active_handoffs ?? 0 }))));
    if (others.some((o) => o.username === keep)) select.value = keep;
    select.disabled = !others.length;
    $('transfer').disabled = !others.length;
  }

  function onDraftInput(kind) {
    if (state.openId !== null) state.drafts.set(state.openId + ':' + kind, $(kind + '-text').value);
    if (kind === 'reply') updateCounter();
  }

  function updateCounter() {
    const n = charCount($('reply-text').value);
    const counter = $('reply-count');
    counter.textContent = t('reply_count', { n, max: MAX_REPLY });
    counter.classList.toggle('over', n > MAX_REPLY);
  }

  // ------------------------------------------------------------ supervisor
  async function loadSupervisor() {
    if (!isSupervisor()) return;
    const seq = ++state.seq.sup;
    if (!state.overview) $('supervisor').replaceChildren(el('p', { className: 'muted' }, t('loading')));
    try {
      const [overview, audit] = await Promise.all([api('/api/supervisor/overview'), api('/api/audit?limit=50')]);
      if (seq !== state.seq.sup || state.tab !== 'supervisor') return;
      state.overview = overview || {};
      state.audit = Array.isArray(audit) ? audit : [];
      renderSupervisor();
    } catch (err) { report(err); }
  }

  function table(caption, headers, rows) {
    if (!rows.length) return el('div', null, el('h3', null, caption), el('p', { className: 'muted' }, t('sup_nothing')));
    return el('div', { className: 'table-wrap' },
      el('table', null,
        el('caption', null, caption),
        el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col' }, t(h))))),
        el('tbody', null, rows.map((cells) => el('tr', null, cells.map((c) => el('td', null, c)))))));
  }

  // {code: count} -> rows sorted by count, with human labels.
  function countRows(counts, prefix) {
    return Object.entries(counts || {}).sort((a, b) => b[1] - a[1]).map(([code, n]) => [label(prefix, code), String(n)]);
  }

  function renderSupervisor() {
    const ov = state.overview || {};
    const waiting = ov.waiting || {};
    const stat = (key, value, alert) => el('div', { className: 'stat' + (alert ? ' alert' : '') },
      el('dt', null, t(key)), el('dd', null, value));
    const operators = (Array.isArray(ov.operators) ? ov.operators : []).map((o) => [
      o.username, label('role_', o.role), String(o.active_handoffs ?? 0), String(o.closed_7d ?? 0),
      formatDuration(o.median_first_reply_seconds_7d)]);
    const audit = (state.audit || []).map((a) => [
      timeEl(a.at), a.operator || t('none'), a.action || t('none'),
      a.handoff_id === null || a.handoff_id === undefined ? t('none')
        : el('button', { type: 'button', className: 'link', 'data-open': String(a.handoff_id),
          'aria-label': t('open_chat', { id: a.handoff_id }) }, String(a.handoff_id)),
      a.detail === null || a.detail === undefined ? ''
        : el('span', { className: 'audit-detail' }, typeof a.detail === 'string' ? a.detail : JSON.stringify(a.detail))]);
    $('supervisor').replaceChildren(
      el('h2', null, t('sup_title')),
      el('dl', { className: 'stats' },
        stat('sup_waiting', String(waiting.count ?? 0)),
        stat('sup_urgent', String(waiting.urgent ?? 0), waiting.urgent > 0),
        stat('sup_oldest', formatDuration(waiting.oldest_seconds)),
        stat('sup_median_wait', formatDuration(ov.median_wait_seconds_7d))),
      table(t('sup_operators'), ['col_operator', 'col_role', 'col_active', 'col_closed7', 'col_first_reply'], operators),
      el('div', { className: 'split' },
        table(t('sup_outcomes'), ['col_outcome', 'col_count'], countRows(ov.outcomes_30d, 'outcome_')),
        table(t('sup_reasons'), ['col_reason', 'col_count'], countRows(ov.reasons_30d, 'reason_'))),
      table(t('sup_audit'), ['col_time', 'col_operator', 'col_action', 'col_handoff', 'col_detail'], audit));
  }

  // ------------------------------------------------------------ live events
  function setLive(value) {
    state.live = value;
    $('live').dataset.state = value;
    $('live-text').textContent = t(value);
  }

  function closeEvents() {
    clearTimeout(state.eventsRetry);
    if (state.events) state.events.close();
    state.events = null;
  }

  function connectEvents() {
    closeEvents();
    setLive('reconnecting');
    if (!('EventSource' in window)) return;   // the 30 s poll still runs
    const source = new EventSource('/api/events');   // same origin: the cookie goes along
    state.events = source;
    source.onopen = () => {
      setLive('live');
      scheduleRefresh(true);   // catch up on whatever happened while we were away
    };
    source.onmessage = onEvent;
    source.onerror = () => {
      setLive('reconnecting');
      // EventSource reconnects by itself after network errors, but gives up
      // (CLOSED) when the server answers with an error status, e.g. 401.
      if (source.readyState === EventSource.CLOSED) retryEvents(5000);
    };
  }

  function retryEvents(delay) {
    clearTimeout(state.eventsRetry);
    state.eventsRetry = setTimeout(async () => {
      if (!state.me) return;
      try { await api('/api/auth/me'); } catch (err) {
        if (err.status === 401) return;   // api() has already ended the session
      }
      if (state.me) connectEvents();
    }, delay);
  }

  function onEvent(message) {
    let ev;
    try { ev = JSON.parse(message.data); } catch { return; }
    if (!ev || typeof ev !== 'object') return;
    // A claimed or closed urgent chat needs no alarm: only waiting ones do.
    if (ev.urgent === true && (ev.type === 'handoff_opened' || ev.type === 'handoff_changed')
      && (ev.status === 'waiting' || ev.status === undefined || ev.status === null)) alertUrgent(ev.handoff_id);
    const isOpen = ev.handoff_id !== null && ev.handoff_id !== undefined && String(ev.handoff_id) === String(state.openId);
    scheduleRefresh(isOpen);
  }

  // Events come in bursts (a message, then a change): refetch once per burst.
  function scheduleRefresh(detailToo) {
    state.pendingDetail = state.pendingDetail || detailToo;
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(() => {
      const detail = state.pendingDetail;
      state.refreshTimer = null;
      state.pendingDetail = false;
      refreshAll(detail);
    }, 300);
  }

  function refreshAll(detailToo) {
    if (!state.me) return;
    if (state.tab === 'supervisor') loadSupervisor(); else loadQueue();
    loadCounts();
    if (detailToo && state.openId !== null) loadDetail();
  }

  // ---------------------------------------------------------------- alerts
  const canAskNotifications = () => 'Notification' in window && Notification.permission === 'default';

  function updateAlertsButton() {
    const button = $('alerts');
    let key = 'alerts_off';
    if (state.alerts) key = canAskNotifications() ? 'alerts_enable' : 'alerts_on';
    button.textContent = t(key);
    button.title = t(key + '_hint');
    button.classList.toggle('off', !state.alerts);
  }

  async function onAlertsClick() {
    if (state.alerts && !canAskNotifications()) {
      state.alerts = false;
      storage.set(ALERTS_KEY, 'off');
      updateAlertsButton();
      say(t('alerts_silenced'));
      return;
    }
    state.alerts = true;
    storage.set(ALERTS_KEY, 'on');
    unlockAudio();
    beep();   // a sample, so the operator knows the sound works
    if (canAskNotifications()) {
      try { await Notification.requestPermission(); } catch { /* old browsers */ }
    }
    updateAlertsButton();
    const granted = 'Notification' in window && Notification.permission === 'granted';
    say(t(granted ? 'alerts_enabled_msg' : 'alerts_sound_only'), 'ok');
  }

  // Browsers only let an AudioContext play after a user gesture, so one is
  // created (or resumed) on the first click or key press.
  function unlockAudio() {
    if (!state.alerts) return;
    if (state.audio) {
      if (state.audio.state === 'suspended') state.audio.resume().catch(() => {});
      return;
    }
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try { state.audio = new Context(); } catch { state.audio = null; }
  }

  // Two short tones from an oscillator: no audio file to serve or load.
  function beep() {
    const ctx = state.audio;
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const start = ctx.currentTime + 0.02;
    [[880, 0], [660, 0.22]].forEach(([freq, offset]) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.2);
    });
  }

  function alertUrgent(id) {
    if (!state.alerts || id === null || id === undefined) return;
    // "opened" and "marked urgent" often arrive together: one alert per chat a minute.
    const last = state.alerted.get(String(id)) || 0;
    if (Date.now() - last < ALERT_REPEAT_MS) return;
    state.alerted.set(String(id), Date.now());
    beep();
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    try {
      const note = new Notification(t('notif_title'), { body: t('notif_body', { id }), tag: 'safemig-handoff-' + id });
      note.onclick = () => {
        window.focus();
        if (state.tab === 'supervisor') selectTab('waiting');
        openHandoff(String(id));
        note.close();
      };
    } catch { /* Android Chrome only allows notifications from a service worker */ }
  }

  // ---------------------------------------------------------------- wiring
  function wire() {
    $('login-form').addEventListener('submit', onLoginSubmit);
    $('logout').addEventListener('click', logout);
    $('lang').addEventListener('click', () => setLang(state.lang === 'ro' ? 'en' : 'ro'));
    $('alerts').addEventListener('click', onAlertsClick);
    for (const button of document.querySelectorAll('[data-tab]')) {
      button.addEventListener('click', () => selectTab(button.dataset.tab));
    }
    $('queue').addEventListener('click', (ev) => {
      const row = ev.target.closest('.handoff-row');
      if (row) openHandoff(row.dataset.id);
    });
    $('supervisor').addEventListener('click', (ev) => {
      const link = ev.target.closest('[data-open]');
      if (!link) return;
      selectTab('active');
      openHandoff(link.dataset.open);
    });
    $('back').addEventListener('click', backToQueue);
    $('claim').addEventListener('click', claim);
    $('reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); postText('reply'); });
    $('reply-text').addEventListener('input', () => onDraftInput('reply'));
    $('reply-text').addEventListener('keydown', (ev) => {
      // isComposing / 229: Enter that confirms an IME composition is not "send".
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        postText('reply');
      }
    });
    $('canned').addEventListener('change', insertCanned);
    $('note-form').addEventListener('submit', (ev) => { ev.preventDefault(); postText('note'); });
    $('note-text').addEventListener('input', () => onDraftInput('note'));
    $('transfer-form').addEventListener('submit', (ev) => { ev.preventDefault(); transfer(); });
    $('close-form').addEventListener('submit', (ev) => { ev.preventDefault(); onCloseSubmit(); });
    $('close-cancel').addEventListener('click', () => { disarmClose(); $('close').focus(); });
    $('outcome').addEventListener('change', disarmClose);
    document.addEventListener('pointerdown', unlockAudio, true);
    document.addEventListener('keydown', unlockAudio, true);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshAll(true); });
  }

  function init() {
    state.alerts = storage.get(ALERTS_KEY) !== 'off';
    wire();
    setLang(detectLang());
    resumeSession();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
