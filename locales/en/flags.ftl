# Why a recovery was flagged, as the patient's app shows it:
# flag-<reason> is a short label, flag-<reason>-explanation says what it
# means and what happens next.

flag-emergency_signs = Signs of a severe allergic reaction
flag-emergency_signs-explanation = You reported signs that can mean a severe allergic reaction. Follow the emergency advice now. Your clinic has been told.
flag-cold_sore_reactivation = Possible cold sore outbreak
flag-cold_sore_reactivation-explanation = Blisters after treatment can be a cold sore coming back. Your clinic has been told.
flag-infection_signs = Possible infection
flag-infection_signs-explanation = What you reported can be a sign of infection. Your clinic has been told. Don't put anything new on the skin meanwhile.
flag-allergic_reaction = Possible allergic reaction
flag-allergic_reaction-explanation = What you reported can be an allergic reaction. Stop using any new product on the treated skin. Your clinic has been told.
flag-persistent_bleeding = Bleeding that does not stop
flag-persistent_bleeding-explanation = Bleeding should stop soon after treatment. Press gently with a clean cloth. Your clinic has been told.
flag-rebound = Symptoms coming back
flag-rebound-explanation = Your symptoms were getting better and are now getting worse again. Your clinic will look at your logs.
flag-early_worsening = Symptoms getting worse
flag-early_worsening-explanation = Your symptoms are getting worse on consecutive days when they would usually start to settle. Your clinic will look at your logs.
flag-above_upper_bound = Stronger than expected
flag-above_upper_bound-explanation = A symptom is stronger than usual for this day of recovery. Your clinic will look at your logs.
flag-red_bumps = Firm red bumps
flag-red_bumps-explanation = Firm red bumps weeks after treatment should be seen by your clinic. Your clinic will look at your logs.
flag-track_marks = Lines or a grid pattern
flag-track_marks-explanation = Marks that keep the pattern of the needles should be seen by your clinic. Your clinic will look at your logs.
flag-dark_patches = Dark patches
flag-dark_patches-explanation = Skin can darken after treatment, especially with sun. Keep using sunscreen. Your clinic will look at your logs.
flag-persisting_beyond_window = Taking longer than expected
flag-persisting_beyond_window-explanation = Redness or swelling is lasting longer than the usual recovery time. Your clinic will look at your logs.
flag-lingering_expected_signs = Normal signs lasting longer
flag-lingering_expected_signs-explanation = Signs that are normal in the first days are lasting longer than usual. Your clinic will look at your logs.
flag-white_bumps = Tiny white bumps
flag-white_bumps-explanation = Tiny white bumps (milia) are common after treatment and usually harmless. Your clinic has a note of it.
flag-acne_breakout = Acne breakout
flag-acne_breakout-explanation = A breakout can happen after treatment. Don't squeeze the spots. Your clinic has a note of it.
flag-missed_logs = Missed daily logs
flag-missed_logs-explanation = Some days were not logged. A quick log each day helps your clinic follow your recovery.
