# Günlük kayıtta işaretlenebilen uyarı belirtileri: sign-<kod> kutunun
# etiketi, sign-<kod>-look-for neye bakılacağını anlatır.

sign-pus = İrin
sign-pus-look-for = İşlem yapılan ciltten gelen koyu kıvamlı sarı, yeşil ya da beyaz sıvı.
sign-yellow_crusts = Sarı (bal rengi) kabuklar
sign-yellow_crusts-look-for = Kurumuş bala benzeyen, altı çoğu zaman ıslak ya da sulu olan kabuklar. Minik koyu noktalar başka bir şeydir (bkz. minik koyu noktalar).
sign-pinpoint_crusts = Minik koyu noktalar veya mikro kabuklar
sign-pinpoint_crusts-look-for = İğnelerin girdiği yerlerde, çoğu zaman sıra sıra dizilen çok küçük koyu ya da kahverengi noktalar. İlk günlerde normaldir ve kendiliğinden düşer.
sign-fever = Ateş ya da titreme
sign-fever-look-for = 38 °C (100,4 °F) veya üzeri ateş, ya da titreme ve kendini iyi hissetmeme.
sign-spreading_redness = Yayılan kızarıklık
sign-spreading_redness-look-for = İşlem yapılan bölgenin dışına taşan ya da günden güne genişleyen kızarıklık.
sign-increasing_pain_or_warmth = Artan ağrı ya da sıcaklık
sign-increasing_pain_or_warmth-look-for = İlk günlerden sonra azalacağına artan ağrı, zonklama ya da sıcaklık.
sign-blisters_or_cold_sores = Su kabarcıkları ya da uçuk
sign-blisters_or_cold_sores-look-for = Tek tek ya da küme hâlinde, içi sıvı dolu küçük kabarcıklar veya dudak ya da burun çevresinde uçuk.
sign-hives = Kurdeşen (kabarık, kaşıntılı şişlikler)
sign-hives-look-for = İşlem yapılan bölgede ya da dışında çıkıp kaybolan, kabarık, kaşıntılı, soluk ya da kırmızı şişlikler.
sign-itching = Kaşıntı
sign-itching-look-for = Kabarıklık olmadan ciltte kaşıntı. Cilt iyileşip soyulurken hafif kaşıntı normaldir.
sign-lip_tongue_or_eye_swelling = Dudaklarda, dilde ya da gözlerde şişlik
sign-lip_tongue_or_eye_swelling-look-for = Dudakların, dilin, boğazın ya da göz kapaklarının şişmesi, özellikle hızla oluyorsa.
sign-trouble_breathing = Nefes almada ya da yutkunmada güçlük
sign-trouble_breathing-look-for = Nefes darlığı, hırıltılı solunum, boğazda sıkışma ya da yutkunmada zorluk.
sign-persistent_bleeding = Durmayan kanama
sign-persistent_bleeding-look-for = 10 dakika hafifçe bastırdıktan sonra devam eden ya da işlem gününden sonra kendiliğinden yeniden başlayan kanama.
sign-bruising = Morarma
sign-bruising-look-for = Çoğunlukla göz altı gibi ince ciltte görülen mavi, mor ya da sarı-yeşil izler. Bir iki hafta içinde solar.
sign-dark_patches = Koyu lekeler
sign-dark_patches-look-for = İşlemden günler ya da haftalar sonra beliren, her zamanki cilt renginizden koyu olan ve öyle kalan bölgeler.
sign-white_bumps = Minik beyaz tanecikler
sign-white_bumps-look-for = Cildin altında kum tanesi gibi duran küçük, sert, beyaz ya da sarımsı tanecikler (milia).
sign-red_bumps = Sert kırmızı kabarıklıklar
sign-red_bumps-look-for = İşlemden haftalar sonra beliren ya da geçmeyen, çoğu zaman serum sürülen yerlerde görülen, sert, kırmızı ya da ten renginde kabarıklıklar veya şişlikler.
sign-acne_breakout = Sivilce çıkması
sign-acne_breakout-look-for = Her zamanki sivilcelenme gibi yeni sivilceler, beyaz ya da siyah noktalar.
sign-track_marks = Çizgiler ya da ızgara deseni
sign-track_marks-look-for = İğnelerin geçtiği yollar hâlâ görünüyormuş gibi, sıra sıra ya da ızgara şeklinde, birkaç günden uzun süren izler.

# Acil belirti içeren bir kayda verilen yanıt; $number kliniğin acil
# numarasıdır. Klinik ifade: her dilde aynı anlamı tam olarak korumalıdır.
emergency-advice = Hemen acil çağrı numarasını arayın: { $number }. Dudaklarda, dilde ya da gözlerde şişlik veya nefes almada güçlük ciddi bir alerjik reaksiyon olabilir ve hemen yardım gerektirir. Kliniğiniz de bilgilendirildi.
