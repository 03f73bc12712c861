-- Native app devices (FCM and APNs tokens) are rows of push_subscriptions,
-- so the outbox, revocation, erasure and deliveries work for them unchanged.
-- Their token is stored in `endpoint` as `fcm:<token>` or `apns:<token>`
-- (never a URL, so it cannot collide with a Web Push endpoint); `p256dh`
-- and `auth` are empty for them.
ALTER TABLE push_subscriptions ADD COLUMN platform TEXT NOT NULL DEFAULT 'webpush';
ALTER TABLE push_subscriptions ADD COLUMN app_id TEXT;
-- APNs only: 'production' or 'sandbox' (which APNs host to use).
ALTER TABLE push_subscriptions ADD COLUMN environment TEXT;
ALTER TABLE push_subscriptions ADD COLUMN locale TEXT;

-- What native push payloads (readable by Google and Apple) may say:
-- 'generic' (a neutral text plus codes) or 'detailed' (the reminder text).
ALTER TABLE clinics ADD COLUMN push_privacy TEXT NOT NULL DEFAULT 'generic';
