# Words shared by several answers.

# A day after treatment, as a heading (day 0 is the treatment day).
day-label =
    { $day ->
        [0] Treatment day
       *[other] Day { $day }
    }

symptom-redness = Redness
symptom-swelling = Swelling
symptom-flaking = Flaking
symptom-sensitivity = Sensitivity

locale-en = English
locale-tr = Turkish
