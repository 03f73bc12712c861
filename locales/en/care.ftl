# Daily aftercare items, keyed by the item's code (care-<code>), and the
# reasons to call the clinic (care-call-<code>).

## Do

care-rinse_only = Tonight, rinse only with lukewarm water and pat dry with a clean towel. No cleanser, no scrubbing.
care-leave_prp_on = Leave the PRP on your skin: don't wash the treated area for at least 4 hours.
care-no_hair_wash_today = Don't wash your hair today. From tomorrow, use a mild, fragrance-free shampoo with lukewarm water.
care-avoid_sun_today = Stay out of the sun today; wear a wide hat if you must go out. Sunscreen starts tomorrow.
care-gentle_cleanser = Wash with a mild, fragrance-free cleanser and lukewarm water. Pat dry, don't rub.
care-sunscreen = Use a broad-spectrum sunscreen SPF 30 or higher every morning and reapply every 2 hours outdoors. Treated skin burns more easily.
care-sunscreen_midday = Your skin darkens more easily while it heals: reapply sunscreen at midday for the first two weeks, and wear a wide-brimmed hat outdoors.
care-antiviral = Take the antiviral medicine your clinic prescribed exactly as directed until the course is finished: it helps prevent a cold sore outbreak after treatment.
care-bruising_may_last = Because you take blood-thinning medicine, bruising can take up to two weeks to fade. That is expected: keep taking your medicine as prescribed.
care-loose_clothing = Wear loose, clean, soft clothing over the treated skin: tight or rough fabric rubs and irritates it.
care-moisturize = Apply a gentle, fragrance-free hydrating moisturizer (or the serum your clinic gave you) morning and night.
care-clean_pillowcase = Sleep on a clean pillowcase, on your back if you can.
care-cool_compress = If the skin feels hot or swollen, hold a clean, cool (not icy) compress on it for a few minutes.
care-let_it_shed = Flaking is normal. Keep moisturizing and let the flakes come off by themselves.

## Don't

care-no_makeup = No makeup for the first 24 hours after treatment, then only with clean brushes.
care-no_hair_products = No hair dye, styling products, dry shampoo, or tight hats and helmets on the treated scalp for the first 72 hours.
care-no_touching = Don't touch the treated skin with unwashed hands.
care-no_sweating = No gym, sauna, steam room, hot yoga or swimming pool for the first 72 hours: sweat, heat and chlorine irritate the healing skin.
care-no_actives = No retinol or retinoids, AHA/BHA acids, vitamin C or scrubs on the treated skin yet.
care-no_picking = Don't pick, peel or scrub off flakes or crusts: that can leave marks or dark spots.
care-no_tanning = No sunbathing or tanning beds for two weeks.
care-no_other_procedures = No waxing, threading, laser, peels or other treatments on this area for two weeks.

## Call your clinic if

care-call-pus = Pus, yellow crusts or oozing
care-call-fever = Fever or chills
care-call-spreading_redness = Redness, warmth or pain that spreads or gets worse instead of better
care-call-blisters = Blisters or cold sores
care-call-hives = Hives, itching or swelling after using a product
care-call-bleeding = Bleeding that does not stop with gentle pressure
care-call-dark_patches = Dark patches appearing on the treated skin
care-call-lasting_redness = Redness or swelling that is still strong after a week
