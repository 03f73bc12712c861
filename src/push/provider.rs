//! One interface over every push provider: the dispatcher hands a target
//! and a message to [`Providers::send`] and gets a [`PushOutcome`] back,
//! whichever service carries it.

use super::apns::ApnsSender;
use super::fcm::FcmSender;
use super::message::{PushMessage, Subscription};
use super::native::NativeMessage;
use super::transport::{PushOutcome, PushSender};

/// Where one push goes.
#[derive(Debug, Clone)]
pub enum Target {
    WebPush(Subscription),
    Fcm { token: String },
    Apns { token: String, sandbox: bool },
}

impl Target {
    /// The `provider` label of metrics.
    pub fn provider(&self) -> &'static str {
        match self {
            Target::WebPush(_) => "webpush",
            Target::Fcm { .. } => "fcm",
            Target::Apns { .. } => "apns",
        }
    }
}

/// A message as each kind of provider takes it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub web: PushMessage,
    pub native: NativeMessage,
}

/// Every configured provider. FCM and APNs are `None` when unconfigured:
/// pushes to such devices fail (status 0, saying what to configure).
#[derive(Clone, Debug)]
pub struct Providers {
    pub web_push: PushSender,
    pub fcm: Option<FcmSender>,
    pub apns: Option<ApnsSender>,
}

impl Providers {
    pub async fn send(&self, target: &Target, msg: &Outgoing) -> PushOutcome {
        match target {
            Target::WebPush(sub) => self.web_push.send(sub, &msg.web).await,
            Target::Fcm { token } => match &self.fcm {
                Some(fcm) => fcm.send(token, &msg.native).await,
                None => not_configured("FCM is not configured (AFTERCARE_FCM_CREDENTIALS)"),
            },
            Target::Apns { token, sandbox } => match &self.apns {
                Some(apns) => apns.send(token, *sandbox, &msg.native).await,
                None => not_configured("APNs is not configured (AFTERCARE_APNS_KEY)"),
            },
        }
    }
}

fn not_configured(reason: &str) -> PushOutcome {
    PushOutcome::Rejected {
        status: 0,
        reason: reason.into(),
    }
}
