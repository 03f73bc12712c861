// aftercare console service worker: shows urgent-flag alerts pushed to this
// browser and opens the flag's console page when one is clicked. Alerts
// carry no patient name, note or score: only the reason and a console link.
'use strict';

// Only console pages of this origin may be opened from a notification.
function consoleUrl(path) {
  const url = new URL(typeof path === 'string' ? path : '/console/flags', self.location.origin);
  return url.origin === self.location.origin && url.pathname.startsWith('/console/')
    ? url.href
    : new URL('/console/flags', self.location.origin).href;
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = {};
  }
  const title = data.title || 'aftercare: a flag to review';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.body || 'Open the console to review it.',
      tag: data.flag_id ? `flag-${data.flag_id}` : 'aftercare',
      renotify: true,
      requireInteraction: data.type === 'flag',
      data: { url: consoleUrl(data.url) },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = consoleUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((wins) => {
      for (const w of wins) {
        if (w.url === url && 'focus' in w) return w.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
