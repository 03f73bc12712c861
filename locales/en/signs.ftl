# Warning signs a patient can tick on a daily log: sign-<code> is the check
# box label, sign-<code>-look-for says what to look for.

sign-pus = Pus
sign-pus-look-for = Thick yellow, green or white fluid coming from the treated skin.
sign-yellow_crusts = Yellow (honey-coloured) crusts
sign-yellow_crusts-look-for = Crusts that look like dried honey, often wet or weeping underneath. Tiny dark dots are something else (see pinpoint crusts).
sign-pinpoint_crusts = Tiny dark dots or micro-crusts
sign-pinpoint_crusts-look-for = Very small dark or brown dots where the needles went in, often in rows. They are normal in the first days and fall off by themselves.
sign-fever = Fever or chills
sign-fever-look-for = A temperature of 38 °C (100.4 °F) or more, or shivering and feeling unwell.
sign-spreading_redness = Redness that is spreading
sign-spreading_redness-look-for = Redness that grows beyond the treated area or gets wider from one day to the next.
sign-increasing_pain_or_warmth = More pain or heat
sign-increasing_pain_or_warmth-look-for = Pain, throbbing or heat that gets worse after the first days instead of better.
sign-blisters_or_cold_sores = Blisters or cold sores
sign-blisters_or_cold_sores-look-for = Small fluid-filled blisters, alone or in clusters, or a cold sore around the lips or nose.
sign-hives = Hives (raised itchy welts)
sign-hives-look-for = Raised, itchy, pale or red welts that come and go, on or beyond the treated area.
sign-itching = Itching
sign-itching-look-for = Itchy skin without welts. Mild itching is normal while the skin heals and flakes.
sign-lip_tongue_or_eye_swelling = Swollen lips, tongue or eyes
sign-lip_tongue_or_eye_swelling-look-for = Lips, tongue, throat or eyelids swelling up, especially if it happens quickly.
sign-trouble_breathing = Trouble breathing or swallowing
sign-trouble_breathing-look-for = Shortness of breath, wheezing, a tight throat or difficulty swallowing.
sign-persistent_bleeding = Bleeding that does not stop
sign-persistent_bleeding-look-for = Bleeding that keeps going after 10 minutes of gentle pressure, or starts again by itself after the treatment day.
sign-bruising = Bruising
sign-bruising-look-for = Blue, purple or yellow-green marks, most often on thin skin such as under the eyes. They fade over one to two weeks.
sign-dark_patches = Dark patches
sign-dark_patches-look-for = Areas of skin that become darker than your usual skin and stay darker, appearing days or weeks after treatment.
sign-white_bumps = Tiny white bumps
sign-white_bumps-look-for = Small, firm white or yellowish bumps like grains of sand under the skin (milia).
sign-red_bumps = Firm red bumps
sign-red_bumps-look-for = Firm red or skin-coloured bumps or lumps that appear or stay weeks after treatment, often where a serum was applied.
sign-acne_breakout = Acne breakout
sign-acne_breakout-look-for = New spots, whiteheads or blackheads like a usual breakout.
sign-track_marks = Lines or a grid pattern
sign-track_marks-look-for = Marks in lines or a grid, as if the needles' paths can still be seen, lasting more than a few days.

# The answer to a log with an emergency sign; $number is the clinic's
# emergency number. Clinical wording: keep it exact in every locale.
emergency-advice = Call the emergency number { $number } now. Swelling of the lips, tongue or eyes, or trouble breathing, can be a severe allergic reaction and needs help straight away. Your clinic has been told as well.
