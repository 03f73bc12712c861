# İşlemle birlikte kaydedilen risk etkenleri: risk-<kod>.

risk-psoriasis = Sedef hastalığı (psoriazis)
risk-eczema = Egzama
risk-active_acne = Aktif akne
risk-rosacea = Rozasea
risk-recent_radiation = Bölgeye yakın zamanda radyoterapi
risk-isotretinoin_6_months = Son 6 ay içinde izotretinoin (ör. Roaccutane)
risk-cold_sore_history = Uçuk geçmişi
risk-anticoagulants = Kan sulandırıcı ilaç
risk-keloid_tendency = Keloid (kabarık yara izi) eğilimi
risk-pregnancy = Gebelik
