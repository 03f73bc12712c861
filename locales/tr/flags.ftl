# Hastanın uygulamasında bir iyileşmenin neden işaretlendiği:
# flag-<neden> kısa etiket, flag-<neden>-explanation ne anlama geldiğini ve
# sonra ne olacağını anlatır.

flag-emergency_signs = Ciddi alerjik reaksiyon belirtileri
flag-emergency_signs-explanation = Ciddi bir alerjik reaksiyon olabilecek belirtiler bildirdiniz. Acil durum önerisine hemen uyun. Kliniğiniz bilgilendirildi.
flag-cold_sore_reactivation = Olası uçuk
flag-cold_sore_reactivation-explanation = İşlemden sonra çıkan kabarcıklar uçuğun yeniden çıkması olabilir. Kliniğiniz bilgilendirildi.
flag-infection_signs = Olası enfeksiyon
flag-infection_signs-explanation = Bildirdikleriniz bir enfeksiyon belirtisi olabilir. Kliniğiniz bilgilendirildi. Bu arada cildinize yeni bir şey sürmeyin.
flag-allergic_reaction = Olası alerjik reaksiyon
flag-allergic_reaction-explanation = Bildirdikleriniz alerjik bir reaksiyon olabilir. İşlem yapılan ciltte yeni kullandığınız ürünleri bırakın. Kliniğiniz bilgilendirildi.
flag-persistent_bleeding = Durmayan kanama
flag-persistent_bleeding-explanation = Kanama işlemden kısa süre sonra durmalıdır. Temiz bir bezle hafifçe bastırın. Kliniğiniz bilgilendirildi.
flag-rebound = Belirtiler yeniden artıyor
flag-rebound-explanation = Belirtileriniz azalıyordu, şimdi yeniden artıyor. Kliniğiniz kayıtlarınızı inceleyecek.
flag-early_worsening = Belirtiler kötüleşiyor
flag-early_worsening-explanation = Belirtileriniz, normalde hafiflemeye başladığı günlerde art arda kötüleşiyor. Kliniğiniz kayıtlarınızı inceleyecek.
flag-above_upper_bound = Beklenenden güçlü
flag-above_upper_bound-explanation = Bir belirtiniz iyileşmenin bu günü için olağandan güçlü. Kliniğiniz kayıtlarınızı inceleyecek.
flag-red_bumps = Sert kırmızı kabarıklıklar
flag-red_bumps-explanation = İşlemden haftalar sonra görülen sert kırmızı kabarıklıklara kliniğinizin bakması gerekir. Kliniğiniz kayıtlarınızı inceleyecek.
flag-track_marks = Çizgiler ya da ızgara deseni
flag-track_marks-explanation = İğnelerin desenini koruyan izlere kliniğinizin bakması gerekir. Kliniğiniz kayıtlarınızı inceleyecek.
flag-dark_patches = Koyu lekeler
flag-dark_patches-explanation = Cilt işlemden sonra, özellikle güneşte koyulaşabilir. Güneş koruyucu kullanmaya devam edin. Kliniğiniz kayıtlarınızı inceleyecek.
flag-persisting_beyond_window = Beklenenden uzun sürüyor
flag-persisting_beyond_window-explanation = Kızarıklık ya da şişlik olağan iyileşme süresinden uzun sürüyor. Kliniğiniz kayıtlarınızı inceleyecek.
flag-lingering_expected_signs = Normal belirtiler uzun sürüyor
flag-lingering_expected_signs-explanation = İlk günlerde normal olan belirtiler olağandan uzun sürüyor. Kliniğiniz kayıtlarınızı inceleyecek.
flag-white_bumps = Minik beyaz tanecikler
flag-white_bumps-explanation = Minik beyaz tanecikler (milia) işlemden sonra sık görülür ve genellikle zararsızdır. Kliniğiniz bunu not etti.
flag-acne_breakout = Sivilce çıkması
flag-acne_breakout-explanation = İşlemden sonra sivilce çıkabilir. Sivilceleri sıkmayın. Kliniğiniz bunu not etti.
flag-missed_logs = Kaydedilmemiş günler
flag-missed_logs-explanation = Bazı günler kayıt girilmedi. Her gün kısa bir kayıt, kliniğinizin iyileşmenizi izlemesine yardımcı olur.
