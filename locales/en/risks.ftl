# Risk factors recorded with a treatment: risk-<code>.

risk-psoriasis = Psoriasis
risk-eczema = Eczema
risk-active_acne = Active acne
risk-rosacea = Rosacea
risk-recent_radiation = Radiation therapy to the area recently
risk-isotretinoin_6_months = Isotretinoin (e.g. Roaccutane) in the last 6 months
risk-cold_sore_history = History of cold sores
risk-anticoagulants = Blood-thinning medicine
risk-keloid_tendency = Tendency to keloid scars
risk-pregnancy = Pregnancy
