# The clinician console (staff-facing), in the staff member's language.
# Labels of signs, symptoms, risk factors and flag reasons are shared with
# the patient's side (signs.ftl, common.ftl, risks.ftl, flags.ftl).

## How this language writes instants, dates and decimals. The date formats
## are chrono strftime patterns (%d day, %m month, %Y year, %H:%M time,
## %Z the zone's abbreviation).

console-format-datetime = %Y-%m-%d %H:%M %Z
console-format-date = %Y-%m-%d
console-decimal-separator = .
# "a, b and c": $first is the items before the last, joined by the separator.
console-list-and = { $first } and { $last }
console-list-separator = {", "}

## The page frame

console-page-title = { $title } · aftercare console
console-nav-label = Main
console-nav-flags = Flags
console-nav-patients = Patients
console-nav-staff = Staff
console-nav-audit = Audit log
console-nav-alerts = Alerts
console-signed-in-as = Signed in as
console-sign-out = Sign out
console-language = Language
console-language-save = Change
console-footer-zone = Times are shown in { $zone }, the clinic's time zone.
console-back-to-queue = Back to the flag queue
console-back-to = Back to { $name }

## Words used on several pages

console-none = None
console-none-recorded = None recorded
console-yes = Yes
console-name = Name
console-email = Email
console-password = Password
console-added = Added
console-save = Save
console-saved = Saved.
console-time-zone = Time zone
console-skin-type = Skin type
console-fitzpatrick = Fitzpatrick { $type }
console-warning-signs = Warning signs
console-products-applied = Products applied
console-addons = Add-ons
console-risk-factors = Risk factors
console-contraindication = (contraindication)
console-former-staff = a former staff member
console-the-service = the service
console-valid-until = Valid until { $until }.
console-flags = Flags
console-flags-none = No flags for this treatment.

## Codes as words

console-severity-urgent = Urgent
console-severity-review = Review
console-severity-routine = Routine
console-status-active = Open or acknowledged
console-status-open = Open
console-status-acknowledged = Acknowledged
console-status-resolved = Resolved
console-action-raised = Raised
console-action-reopened = Reopened
console-action-acknowledged = Acknowledged
console-action-resolved = Resolved
console-action-escalated = Escalated
console-event-opened = Opened
console-event-reopened = Reopened
console-event-escalated = Escalated
console-event-resolved = Resolved
console-role-admin = Admin
console-role-clinician = Clinician
console-role-patient = Patient
console-area-face = Face
console-area-neck = Neck
console-area-scalp = Scalp
console-area-body = Body
console-addon-serum = Serum
console-addon-prp = PRP
console-addon-peel = Peel
console-addon-rf = RF
console-reminder-log_symptoms = Log symptoms
console-reminder-sunscreen = Sunscreen
console-reminder-moisturize = Moisturize
console-reminder-avoid_actives = Avoid actives
console-reminder-no_picking = No picking
console-reminder-next_session = Next session
console-reminder-check_in = Check-in

## Sign-in

console-sign-in = Sign in
console-sign-in-heading = Sign in to the clinician console
console-sign-in-patients = Patients: please use the aftercare app.
console-sign-in-wrong = The email, password or clinic code is wrong.
console-sign-in-staff-only = This console is for clinic staff. Patients use the aftercare app.

## Error pages

console-error-csrf-title = Form expired
console-error-csrf = This form's security token is missing or stale. Go back, reload the page and try again.
console-error-forbidden-title = Not allowed
console-error-admin-only = Only clinic admins may open this page.
console-error-validation-title = Please correct the form
console-error-validation = Some fields need another look:
console-error-contraindicated-title = Contraindicated
console-error-contraindicated = The treatment was not registered: these risk factors contraindicate it. To register it anyway, go back and give a reason for the override.
console-error-not-found-title = Not found
console-error-not-found = There is no such page, or it is not part of your clinic.
console-error-internal-title = Something went wrong
console-error-internal = Something went wrong on our side; it has been logged.
console-error-other-title = Could not do that
console-error-method = this page accepts { $allow } only

## The flag queue

console-queue-title = Flag queue
console-queue-status = Status
console-queue-severity = Severity
console-queue-any = Any
console-queue-filter = Filter
console-queue-empty = No flags match. Recoveries on course raise none.
console-queue-hint =
    { $count ->
        [one] One patient to look at.
       *[other] { $count } patients to look at, most severe first, then waiting longest.
    }
console-queue-patient = Patient
console-queue-reasons = Reasons
console-queue-latest-day = Latest day
console-queue-waiting-since = Waiting since
console-queue-action = Action
console-queue-review =
    { $flags ->
        [one] Review
       *[other] Review ({ $flags } flags)
    }
console-notifications-offer = Get a browser notification when a flag becomes urgent (no patient details are shown in it).
console-notifications-turn-on = Turn on notifications
console-notifications-blocked = Notifications are blocked for this site; allow them in the browser settings.
console-notifications-on = Notifications for urgent flags are on in this browser until you sign out.
console-notifications-failed = Could not turn on notifications:

## A flag's page

console-flag-title = { $severity } flag: { $reason }
console-flag-patient = Patient
console-flag-treatment = Treatment
console-flag-treatment-facts = Session { $session }, { $area }, { $depth } mm; today is day { $today }
console-flag-day = Day
console-flag-status = Status
console-flag-opened = Opened
console-flag-last-evidence = Last evidence
console-flag-evidence = Evidence
console-flag-worst-day = Its worst day
console-flag-when-opened = When it opened
console-flag-log = The patient's log that day
console-flag-patient-note = The patient's note
console-flag-no-note = No note with this log.
console-flag-no-log = This flag is not about a single log.
console-flag-review = Review
console-flag-ack-note = Note (optional)
console-flag-acknowledge = Acknowledge
console-flag-resolve-note = Resolution note
console-flag-resolve = Resolve
console-flag-note-required = a note is required to resolve a flag
console-flag-is-resolved = This flag is resolved.
console-flag-history = History
console-history-opened = Opened by the assessment
console-history-by = { $action } by { $who }
console-flag-others = Other flags of this treatment
console-flag-open = Open the flag
console-flag-review-link = Review the flag
console-alert-history = Alert history
console-alert-history-none = No alert was sent for this flag.
console-alert-history-count = Alert history ({ $count })
console-alert-channel = Channel
console-alert-event = Event
console-alert-to = To
console-alert-when = When
console-alert-outcome = Outcome
console-alert-line = { $channel } to { $to }
console-channel-push = Web Push
console-channel-email = E-mail
console-channel-webhook = Webhook
console-recipient-browser = a staff browser
console-recipient-webhook = the clinic's webhook
console-recipient-inbox = the clinic's alert inbox
console-recipient-admin = an admin
console-recipient-clinician = a clinician
console-recipient-clinic = the clinic
console-outcome-sent = Delivered
console-outcome-retrying =
    { $attempts ->
        [one] Retrying after one attempt
       *[other] Retrying after { $attempts } attempts
    }
console-outcome-queued = Queued
console-outcome-gone = Not delivered: the browser unsubscribed
console-outcome-stale = Not sent: too late to be useful
console-outcome-failed =
    { $attempts ->
        [one] Failed after one attempt
       *[other] Failed after { $attempts } attempts
    }

## Evidence of a flag, one sentence per fact (numbers may be decimals).

evidence-above-upper-bound = { $symptom } { $score } on day { $day }, expected at most { $upper }
evidence-above-upper-bound-severe-swelling = { $symptom } { $score } on day { $day }, expected at most { $upper } (severe swelling: possible angioedema)
evidence-persisting-beyond-window = { $symptom } { $score } on day { $day }, expected at most { $upper }, after the expected course ended on day { $window_days }
evidence-early-worsening = { $symptom } rose to { $score } on day { $day } from { $from_score } on day { $from_day }, expected about { $expected }
evidence-rebound = { $symptom } rose to { $score } on day { $day } from { $from_score } on day { $from_day }, expected at most { $upper }
evidence-missed-logs = No log on days { $from_day }–{ $to_day }
evidence-missed-check-in = No check-in log around day { $day }
evidence-signs = { $signs } reported on day { $day }
evidence-signs-dark-patches = { $signs } reported on day { $day }, skin type { $skin_type } (watch for post-inflammatory hyperpigmentation)
evidence-signs-cold-sore = { $signs } reported on day { $day }, with a history of cold sores (possible herpes simplex reactivation)
evidence-signs-emergency = { $signs } reported on day { $day } (possible anaphylaxis; the patient was told to call the emergency number)
evidence-signs-red-bumps = { $signs } reported on day { $day } (possible granulomatous reaction)
evidence-signs-lingering = { $signs } reported on day { $day }, expected only through day { $until_day }
console-evidence-signs-unnamed = Signs
console-evidence-on-day = { $reason } on day { $day }

## Patients

console-patients-title = Patients
console-patients-none = No patients yet.
console-patients-day = Day
console-patients-open-flags = Open flags
console-patients-last-log = Last log
console-patients-missed = Missed days
console-patients-enrolled = App enrolled
console-patients-no-treatment = No treatment
console-patients-no-log = None yet
console-patients-not-yet = Not yet
console-patients-open-count = { $count } { $severity }
console-patients-hint = Day: today's day after the latest treatment, in the patient's time zone. Missed days: finished days 0–{ $last } without a log.
console-patients-add = Add a patient
console-patients-skin-type-label = Fitzpatrick skin type
console-patients-choose-skin-type = Choose the skin type
console-patients-add-button = Add patient
console-patient-app = App
console-patient-enrolled = Enrolled
console-patient-not-enrolled = Not enrolled yet
console-enrol-already = The app is already enrolled.
console-enrol-warning = When a new code is used, the patient's app is signed out on every device and must be set up again with the new code.
console-enrol-confirm = I understand: end the patient's app sessions when the new code is used
console-enrol-new-code = Issue a new enrolment code
console-enrol-code = Issue an enrolment code
console-enrol-page-title = Enrolment code
console-enrol-title = Enrolment code for { $name }
console-enrol-give = Give this code to the patient to enter (or scan) in the aftercare app. It works once and is shown only now.
console-enrol-qr = QR code of the enrolment code { $code }
console-treatments-none = No treatment registered yet.

## A treatment on the patient's page

console-treatment-heading = Session { $session }, { $area }, { $depth } mm
console-treatment-performed = Performed
console-treatment-performed-at = { $at } (patient's time)
console-treatment-today = Today is day
console-cautions = Cautions
console-caution-keloid_tendency_deep = keloid tendency with needling deeper than { $limit } mm ({ $depth } mm): risk of hypertrophic or keloid scarring
console-override = Contraindication override
console-expected-course = Expected course
console-expected-course-facts = { $protocol } v{ $version }, about { $days } days; check-ins on days { $check_ins }
console-series = Series
console-series-follows = Follows session { $session } ({ $area }, { $depth } mm, { $date }), { $days } days earlier
console-series-too-soon = sooner than the { $interval }-day minimum for this area
console-series-caption = This session beside the previous one (peak logged scores)
console-series-this = This session
console-series-previous = Previous session
console-series-peak = { $score } on day { $day }
console-series-not-logged = not logged
console-series-days-logged = Days logged
console-series-flags = Flags
console-charts = Recovery charts
console-charts-hint = Shaded band: expected score up to the upper bound. Line: expected score. Circles: logged scores; diamonds: logged scores above the upper bound.
console-charts-hint-signs = Triangles along the top: days the patient reported warning signs.
console-chart-title = { $symptom }: expected score, upper bound and { $logged } logged scores over { $days } days
console-chart-title-signs =
    { $days ->
        [one] ; warning signs on one day
       *[other] ; warning signs on { $days } days
    }
console-chart-axis = day after treatment
console-chart-point = day { $day }: { $score }
console-chart-point-over = day { $day }: { $score }, above the upper bound of { $upper }
console-chart-signs = day { $day }: warning signs: { $signs }
console-logs = Daily logs
console-logs-none = No logs yet.
console-logs-date = Date
console-logs-note = Note
console-reminders = Reminders
console-plan-caption = Reminder plan (patient's local time)
console-plan-reminder = Reminder
console-plan-days = Days
console-plan-times = Times
console-adherence-none = No reminder has been due yet.
console-adherence-caption = Adherence so far
console-adherence-done = Done
console-adherence-not-done = Not done
console-adherence-of = { $done } of { $due }

## Registering a treatment

console-treatment-form-title = Register a treatment
console-treatment-form-when = Date and time (patient's local time)
console-treatment-form-area = Area
console-treatment-form-depth = Needle depth (mm, 0.25–3.0)
console-treatment-form-session = Session number in the series (leave empty to follow the previous session)
console-treatment-form-products = Serum or products applied
console-treatment-form-override = Reason to treat despite a contraindication (only if one applies)
console-treatment-form-submit = Register treatment

## Staff (admins)

console-staff-title = Staff
console-staff-role = Role
console-staff-status = Status
console-staff-change = Change
console-staff-active = Active
console-staff-deactivated = Deactivated
console-staff-action-deactivate = Deactivate
console-staff-action-reactivate = Reactivate
console-staff-action-make_admin = Make admin
console-staff-action-make_clinician = Make clinician
console-staff-action-reset_code = Issue reset code
console-staff-action-unknown = must be one of the page's buttons
console-staff-add-title = Add a clinician or admin
console-staff-password-hint = A password is generated and shown once, to pass on in person.
console-staff-add = Add
console-staff-added = Added { $name } ({ $email }) as { $role }.
console-staff-password = Their password, shown only now:
console-staff-reset-code = Their one-time reset code, shown only now:
console-staff-reset-valid = Valid until { $until }, once. They redeem it in the app, or with

## Audit log (admins)

console-audit-title = Audit log
console-audit-hint = Who read or changed what, newest first.
console-audit-who = Who
console-audit-action = Action
console-audit-record = Record
console-audit-patient = patient { $id }
console-audit-older = Older entries

## Alerts (admins)

console-alerts-title = Alerts
console-alerts-who = Who gets alerts
console-alerts-emails = Alert e-mail addresses (one per line)
console-alerts-emails-hint = A shared inbox or the on-duty clinicians. Staff may also turn e-mail alerts on for themselves.
console-alerts-min-severity = Lowest severity that alerts
console-alerts-timezone = Clinic time zone (IANA name)
console-alerts-emergency-number = Emergency number patients are told to call
console-alerts-default-locale = Clinic language
console-alerts-default-locale-hint = New patients and staff start in it; it is also the language of e-mail to the clinic's alert addresses.
console-webhooks-title = Webhooks
console-webhooks-hint = Flag events are POSTed as signed JSON (ids only, no names or notes). See the API reference for the signature.
console-webhooks-none = No webhooks yet.
console-webhooks-url = URL
console-webhooks-delete = Delete
console-webhooks-add-url = Add a webhook URL (https)
console-webhooks-add = Add
console-webhooks-added = Added:
console-webhooks-secret = Its signing secret, shown only now:
console-photos = Photos
# $date: the log's date
console-photo-alt = Photo of the skin, { $date }

## Clinic settings and clinic codes
console-nav-clinic = Clinic
console-clinic-title = Clinic settings
console-clinic-code = Clinic code
console-clinic-code-hint = People with accounts at more than one clinic under the same e-mail type this code when they sign in. It cannot be changed.
console-clinic-name = Clinic name
console-clinic-timezone-hint = Console times are shown in it.
console-clinic-push-privacy = What a push notification shows on a locked screen
console-clinic-push-privacy-generic = A neutral text ("You have a reminder"); the app shows the details
console-clinic-push-privacy-detailed = The reminder's text
console-clinic-alerts-link = Who gets alerts is set on the Alerts page.
console-sign-in-clinic-hint = (only if you work at more than one clinic)
console-sign-in-code-invalid = A clinic code is 4 to 12 letters and digits.
console-sign-in-ambiguous = This email and password open accounts at more than one clinic. Enter the code of the clinic to sign in to: its admins see it on the clinic settings page.

## Corrections, discharge and cancellation
console-discharged-title = Discharged patients
console-discharged = Discharged
console-discharged-at = { $at } — no reminders are sent
console-correct-patient = Correct the patient's details
console-correct-timezone = Time zone (unsent reminders move to it)
console-correct-save = Save corrections
console-readmit = Readmit (plan reminders again)
console-discharge-confirm = The recovery is over: stop every reminder
console-discharge = Discharge
console-correct-treatment = Correct this treatment
console-correct-treatment-hint = Corrections are taken for { $days } days after registration. Reminders are re-planned and the logs re-assessed.
console-cancel-treatment = Cancel this treatment (registered by mistake)
console-cancel-reason = Reason
console-cancel-treatment-hint = Its reminders are removed and its flags resolved; it takes no more logs. It stays on record.
console-cancel-treatment-submit = Cancel treatment
console-treatment-cancelled = Cancelled by { $who }, { $at }: “{ $reason }” — no reminders, no flags, no new logs; kept for the record.
console-audit-changes = Changes
console-audit-reason = Reason: “{ $reason }”
