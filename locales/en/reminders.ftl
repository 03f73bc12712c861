# Push reminders: reminder-<kind>-title and reminder-<kind>-body, with the
# arguments the domain gives ($day: days since treatment; $weeks).

reminder-log_symptoms-title = How is your skin today?
reminder-log_symptoms-body =
    { $day ->
        [0] Take a minute to note any redness, swelling, flaking or sensitivity after today's treatment. It helps your clinic see how you're healing.
       *[other] Day { $day } of your recovery. Take a minute to note any redness, swelling, flaking or sensitivity. It helps your clinic see how you're healing.
    }

reminder-sunscreen-title = Time for sunscreen
reminder-sunscreen-body = Your skin is more sensitive to UV while it heals. Apply a broad-spectrum SPF 30+ sunscreen, and reapply if you're outdoors.

reminder-moisturize-title = Time to moisturize
reminder-moisturize-body = Use a gentle, hydrating moisturizer, nothing harsh or scented. Pat it on softly with clean hands.

reminder-avoid_actives-title = Keep it gentle tonight
reminder-avoid_actives-body = Please skip retinol, AHA/BHA acids and vitamin C tonight. A mild cleanser and moisturizer are all your skin needs while it recovers.

reminder-no_picking-title = Let it shed
reminder-no_picking-body = Flaking is normal and means your skin is renewing. Let it come off on its own. Please don't pick or scrub.

reminder-next_session-title = Time to book your next session
# Before three weeks: the exact number of days.
reminder-next_session-body-days =
    { $day ->
        [one] It's been { $day } day since your treatment. When you're ready, book your next session with your clinic.
       *[other] It's been { $day } days since your treatment. When you're ready, book your next session with your clinic.
    }
reminder-next_session-body = It's been about four weeks since your treatment. When you're ready, book your next session with your clinic.

reminder-check_in-title = Time for a check-in
reminder-check_in-body =
    { $weeks ->
        [one] It's been { $weeks } week since your treatment. Please log how your skin looks today, and note any dark patches, bumps or lines you may have noticed.
       *[other] It's been { $weeks } weeks since your treatment. Please log how your skin looks today, and note any dark patches, bumps or lines you may have noticed.
    }

# What native pushes show when the clinic keeps reminders private
# (Google and Apple can read FCM and APNs payloads).
reminder-generic-title = Aftercare
reminder-generic-body = You have an aftercare reminder.
