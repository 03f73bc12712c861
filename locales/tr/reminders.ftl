# Hatırlatma bildirimleri: reminder-<tür>-title ve reminder-<tür>-body
# ($day: işlemden bu yana geçen gün; $weeks: hafta).

reminder-log_symptoms-title = Cildiniz bugün nasıl?
reminder-log_symptoms-body =
    { $day ->
        [0] Bugünkü işlemden sonra kızarıklık, şişlik, soyulma ya da hassasiyet olup olmadığını not etmek için bir dakikanızı ayırın. Bu, kliniğinizin iyileşmenizi izlemesine yardımcı olur.
       *[other] İyileşmenizin { $day }. günü. Kızarıklık, şişlik, soyulma ya da hassasiyet olup olmadığını not etmek için bir dakikanızı ayırın. Bu, kliniğinizin iyileşmenizi izlemesine yardımcı olur.
    }

reminder-sunscreen-title = Güneş koruyucu zamanı
reminder-sunscreen-body = Cildiniz iyileşirken UV ışınlarına karşı daha hassastır. SPF 30+ geniş spektrumlu bir güneş koruyucu sürün; dışarıdaysanız yenileyin.

reminder-moisturize-title = Nemlendirme zamanı
reminder-moisturize-body = Sert ya da parfümlü olmayan, hafif ve nem veren bir krem kullanın. Temiz ellerle, hafifçe vurarak sürün.

reminder-avoid_actives-title = Bu akşam cildinize nazik davranın
reminder-avoid_actives-body = Lütfen bu akşam retinol, AHA/BHA asitleri ve C vitamini kullanmayın. Cildiniz iyileşirken hafif bir temizleyici ve nemlendirici yeterlidir.

reminder-no_picking-title = Kendiliğinden dökülsün
reminder-no_picking-body = Soyulma normaldir ve cildinizin yenilendiğini gösterir. Kendiliğinden dökülmesine izin verin. Lütfen koparmayın ya da ovalamayın.

reminder-next_session-title = Sonraki seans için randevu zamanı
# Üç haftadan önce: gün sayısıyla.
reminder-next_session-body-days = İşleminizin üzerinden { $day } gün geçti. Hazır olduğunuzda kliniğinizden bir sonraki seansınız için randevu alın.
reminder-next_session-body = İşleminizin üzerinden yaklaşık dört hafta geçti. Hazır olduğunuzda kliniğinizden bir sonraki seansınız için randevu alın.

reminder-check_in-title = Kontrol zamanı
reminder-check_in-body = İşleminizin üzerinden { $weeks } hafta geçti. Lütfen cildinizin bugün nasıl göründüğünü kaydedin; fark ettiğiniz koyu lekeleri, kabarıklıkları ya da çizgileri de not edin.

# Klinik hatırlatmaları gizli tuttuğunda yerel (native) bildirimlerde
# gösterilen metin (FCM ve APNs içeriğini Google ve Apple okuyabilir).
reminder-generic-title = İşlem sonrası bakım
reminder-generic-body = Bakımınızla ilgili bir hatırlatmanız var.
