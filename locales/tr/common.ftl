# Birden çok yanıtta kullanılan sözcükler.

# İşlemden sonraki bir gün, başlık olarak (0. gün işlem günüdür).
day-label =
    { $day ->
        [0] İşlem günü
       *[other] { $day }. gün
    }

symptom-redness = Kızarıklık
symptom-swelling = Şişlik
symptom-flaking = Soyulma
symptom-sensitivity = Hassasiyet

locale-en = İngilizce
locale-tr = Türkçe
