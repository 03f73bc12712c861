# Alerts to clinic staff: e-mails and the console's browser notifications,
# in the recipient's language. They carry no patient name, note or score.
# $clinic is the clinic's name, $severity one of the email-severity-* words,
# $reason a flag reason's label (flags.ftl).

email-severity-urgent = urgent
email-severity-review = review
email-severity-routine = routine

email-opened-subject = [{ $clinic }] { $severity } flag: { $reason }
email-opened-lead = A recovery at { $clinic } was flagged { $severity }: { $reason }.
email-reopened-subject = [{ $clinic }] { $severity } flag reopened: { $reason }
email-reopened-lead = A flag at { $clinic } was reopened by new { $severity } evidence: { $reason }.
email-escalated-subject = [{ $clinic }] ESCALATED: { $severity } flag not acknowledged: { $reason }
email-escalated-lead = An urgent flag at { $clinic } ({ $reason }) has not been acknowledged in time. Please make sure someone looks at it now.
email-resolved-subject = [{ $clinic }] flag resolved: { $reason }
email-resolved-lead = A flag at { $clinic } ({ $reason }, { $severity }) was resolved.
# $lead is one of the *-lead messages, $link the flag's console page.
email-body =
    { $lead }

    Open it in the console:
    { $link }

    This message carries no patient details; sign in to see them.

# $count: how many photos the patient added to the flagged day's log (never attached).
email-photos = The patient added { $count ->
        [one] one photo
       *[other] { $count } photos
    } of that day; see { $count ->
        [one] it
       *[other] them
    } in the console.

alert-push-escalated-title = Urgent flag not acknowledged
alert-push-escalated-body = Nobody has acknowledged it yet: { $reason }
alert-push-reopened-title = Flag reopened ({ $severity })
alert-push-reopened-body = A recovery needs review again: { $reason }
alert-push-urgent-title = Urgent flag to review
alert-push-urgent-body = A recovery needs review: { $reason }
alert-push-opened-title = New { $severity } flag
alert-push-opened-body = A recovery needs review: { $reason }
