// aftercare console: turns on browser notifications for urgent flags. Loaded
// from our own origin only (CSP script-src 'self'); pages work without it.
'use strict';

(function () {
  const form = document.getElementById('notifications-form');
  if (!form) return;
  const status = document.getElementById('notifications-status');
  const button = form.querySelector('button');
  const say = (text) => { status.textContent = text; };
  // The page hands over its words (data-msg-*), in the reader's language.
  const msg = (name) => form.dataset[name] || '';

  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    return; // The section stays hidden: this browser cannot receive them.
  }
  form.hidden = false;

  function keyBytes(base64url) {
    const pad = '='.repeat((4 - (base64url.length % 4)) % 4);
    const raw = atob((base64url + pad).replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  // Sends this browser's subscription to the server for the signed-in account.
  async function save(sub) {
    const json = sub.toJSON();
    const body = new URLSearchParams({
      csrf: form.elements.csrf.value,
      endpoint: json.endpoint,
      p256dh: json.keys.p256dh,
      auth: json.keys.auth,
    });
    const res = await fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
  }

  async function registration() {
    return navigator.serviceWorker.register('/console/sw.js', { scope: '/console/' });
  }

  async function enable() {
    button.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say(msg('msgBlocked'));
        return;
      }
      const reg = await registration();
      await navigator.serviceWorker.ready;
      let sub = await reg.pushManager.getSubscription();
      if (!sub) {
        const res = await fetch('/v1/push/vapid-public-key', { credentials: 'same-origin' });
        if (!res.ok) throw new Error(`no push key (${res.status})`);
        const { public_key: key } = await res.json();
        sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
      }
      await save(sub);
      say(msg('msgOn'));
      button.hidden = true;
    } catch (err) {
      say(`${msg('msgFailed')} ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    enable();
  });

  // After a new sign-in, a browser that already has a subscription hands it
  // to the server again (signing out removed it there).
  if (Notification.permission === 'granted') {
    registration()
      .then((reg) => reg.pushManager.getSubscription())
      .then((sub) => sub && save(sub).then(() => {
        say(msg('msgOn'));
        button.hidden = true;
      }))
      .catch(() => {});
  }
})();
