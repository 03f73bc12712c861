# Klinisyen konsolu (klinik personeli için), personelin dilinde.
# Belirti, semptom, risk faktörü ve uyarı nedeni etiketleri hasta tarafıyla
# ortaktır (signs.ftl, common.ftl, risks.ftl, flags.ftl).

## Bu dilde an, tarih ve ondalık sayıların yazılışı. Tarih biçimleri chrono
## strftime kalıplarıdır (%d gün, %m ay, %Y yıl, %H:%M saat, %Z saat
## diliminin kısaltması).

console-format-datetime = %d.%m.%Y %H:%M %Z
console-format-date = %d.%m.%Y
console-decimal-separator = ,
# "a, b ve c": $first, sondan öncekilerin ayraçla birleştirilmiş hâli.
console-list-and = { $first } ve { $last }
console-list-separator = {", "}

## Sayfa çerçevesi

console-page-title = { $title } · aftercare konsolu
console-nav-label = Ana menü
console-nav-flags = Uyarılar
console-nav-patients = Hastalar
console-nav-staff = Personel
console-nav-audit = Denetim kaydı
console-nav-alerts = Bildirimler
console-signed-in-as = Oturum açan:
console-sign-out = Oturumu kapat
console-language = Dil
console-language-save = Değiştir
console-footer-zone = Saatler kliniğin saat dilimi olan { $zone } saatine göre gösterilir.
console-back-to-queue = Uyarı listesine dön
console-back-to = { $name } sayfasına dön

## Birden çok sayfada kullanılan sözcükler

console-none = Yok
console-none-recorded = Kayıt yok
console-yes = Evet
console-name = Ad soyad
console-email = E-posta
console-password = Parola
console-added = Eklenme
console-save = Kaydet
console-saved = Kaydedildi.
console-time-zone = Saat dilimi
console-skin-type = Cilt tipi
console-fitzpatrick = Fitzpatrick { $type }
console-warning-signs = Uyarı belirtileri
console-products-applied = Uygulanan ürünler
console-addons = Ek uygulamalar
console-risk-factors = Risk faktörleri
console-contraindication = (kontrendikasyon)
console-former-staff = eski bir personel
console-the-service = sistem
console-valid-until = Son geçerlilik: { $until }.
console-flags = Uyarılar
console-flags-none = Bu tedavi için uyarı yok.

## Kodların karşılıkları

console-severity-urgent = Acil
console-severity-review = İncelenmeli
console-severity-routine = Rutin
console-status-active = Açık veya onaylandı
console-status-open = Açık
console-status-acknowledged = Onaylandı
console-status-resolved = Çözüldü
console-action-raised = Açıldı
console-action-reopened = Yeniden açıldı
console-action-acknowledged = Onaylandı
console-action-resolved = Çözüldü
console-action-escalated = Üst kademeye iletildi
console-event-opened = Açıldı
console-event-reopened = Yeniden açıldı
console-event-escalated = Üst kademeye iletildi
console-event-resolved = Çözüldü
console-role-admin = Yönetici
console-role-clinician = Klinisyen
console-role-patient = Hasta
console-area-face = Yüz
console-area-neck = Boyun ve dekolte
console-area-scalp = Saçlı deri
console-area-body = Vücut
console-addon-serum = Serum
console-addon-prp = PRP
console-addon-peel = Kimyasal peeling
console-addon-rf = RF
console-reminder-log_symptoms = Belirti kaydı
console-reminder-sunscreen = Güneş kremi
console-reminder-moisturize = Nemlendirme
console-reminder-avoid_actives = Aktif içeriklerden kaçınma
console-reminder-no_picking = Koparmama
console-reminder-next_session = Sonraki seans
console-reminder-check_in = Kontrol kaydı

## Oturum açma

console-sign-in = Oturum aç
console-sign-in-heading = Klinisyen konsolunda oturum açın
console-sign-in-patients = Hastalar: lütfen aftercare uygulamasını kullanın.
console-sign-in-wrong = E-posta, parola veya klinik kodu yanlış.
console-sign-in-staff-only = Bu konsol klinik personeli içindir. Hastalar aftercare uygulamasını kullanır.

## Hata sayfaları

console-error-csrf-title = Formun süresi doldu
console-error-csrf = Bu formun güvenlik belirteci eksik veya eskimiş. Geri dönün, sayfayı yenileyin ve tekrar deneyin.
console-error-forbidden-title = İzin yok
console-error-admin-only = Bu sayfayı yalnızca klinik yöneticileri açabilir.
console-error-validation-title = Lütfen formu düzeltin
console-error-validation = Bazı alanların yeniden gözden geçirilmesi gerekiyor:
console-error-contraindicated-title = Kontrendike
console-error-contraindicated = Tedavi kaydedilmedi: bu risk faktörleri tedaviye engel. Yine de kaydetmek için geri dönün ve kontrendikasyona rağmen uygulama gerekçesini yazın.
console-error-not-found-title = Bulunamadı
console-error-not-found = Böyle bir sayfa yok ya da kliniğinize ait değil.
console-error-internal-title = Bir sorun oluştu
console-error-internal = Bizim tarafımızda bir sorun oluştu; kayda alındı.
console-error-other-title = Bu işlem yapılamadı
console-error-method = bu sayfa yalnızca { $allow } kabul eder

## Uyarı listesi

console-queue-title = Uyarı listesi
console-queue-status = Durum
console-queue-severity = Önem
console-queue-any = Tümü
console-queue-filter = Süz
console-queue-empty = Eşleşen uyarı yok. Beklenen seyrinde iyileşenler uyarı oluşturmaz.
console-queue-hint =
    { $count ->
        [one] Bakılacak bir hasta var.
       *[other] Bakılacak { $count } hasta var; önce en acil olanlar, sonra en uzun bekleyenler.
    }
console-queue-patient = Hasta
console-queue-reasons = Nedenler
console-queue-latest-day = Son gün
console-queue-waiting-since = Bekleme başlangıcı
console-queue-action = İşlem
console-queue-review =
    { $flags ->
        [one] İncele
       *[other] İncele ({ $flags } uyarı)
    }
console-notifications-offer = Bir uyarı acil hâle geldiğinde tarayıcı bildirimi alın (bildirimde hasta bilgisi gösterilmez).
console-notifications-turn-on = Bildirimleri aç
console-notifications-blocked = Bu site için bildirimler engellenmiş; tarayıcı ayarlarından izin verin.
console-notifications-on = Acil uyarı bildirimleri, oturumu kapatana kadar bu tarayıcıda açık.
console-notifications-failed = Bildirimler açılamadı:

## Uyarı sayfası

console-flag-title = { $severity } uyarı: { $reason }
console-flag-patient = Hasta
console-flag-treatment = Tedavi
console-flag-treatment-facts = { $session }. seans, { $area }, { $depth } mm; bugün { $today }. gün
console-flag-day = Gün
console-flag-status = Durum
console-flag-opened = Açılış
console-flag-last-evidence = Son bulgu
console-flag-evidence = Bulgular
console-flag-worst-day = En kötü günü
console-flag-when-opened = Açıldığında
console-flag-log = Hastanın o günkü kaydı
console-flag-patient-note = Hastanın notu
console-flag-no-note = Bu kayıtta not yok.
console-flag-no-log = Bu uyarı tek bir kayıtla ilgili değil.
console-flag-review = Değerlendirme
console-flag-ack-note = Not (isteğe bağlı)
console-flag-acknowledge = Onayla
console-flag-resolve-note = Çözüm notu
console-flag-resolve = Çözüldü olarak kapat
console-flag-note-required = uyarıyı çözmek için not gerekli
console-flag-is-resolved = Bu uyarı çözüldü.
console-flag-history = Geçmiş
console-history-opened = Değerlendirme tarafından açıldı
console-history-by = { $action }: { $who }
console-flag-others = Bu tedavinin diğer uyarıları
console-flag-open = Uyarıyı aç
console-flag-review-link = Uyarıyı incele
console-alert-history = Bildirim geçmişi
console-alert-history-none = Bu uyarı için bildirim gönderilmedi.
console-alert-history-count = Bildirim geçmişi ({ $count })
console-alert-channel = Kanal
console-alert-event = Olay
console-alert-to = Alıcı
console-alert-when = Zaman
console-alert-outcome = Sonuç
console-alert-line = { $channel }, alıcı: { $to }
console-channel-push = Web Push
console-channel-email = E-posta
console-channel-webhook = Webhook
console-recipient-browser = bir personel tarayıcısı
console-recipient-webhook = kliniğin webhook adresi
console-recipient-inbox = kliniğin bildirim gelen kutusu
console-recipient-admin = bir yönetici
console-recipient-clinician = bir klinisyen
console-recipient-clinic = klinik
console-outcome-sent = İletildi
console-outcome-retrying =
    { $attempts ->
        [one] Bir denemeden sonra yeniden deneniyor
       *[other] { $attempts } denemeden sonra yeniden deneniyor
    }
console-outcome-queued = Sırada
console-outcome-gone = İletilmedi: tarayıcı aboneliği bitmiş
console-outcome-stale = Gönderilmedi: işe yaramayacak kadar geç
console-outcome-failed =
    { $attempts ->
        [one] Bir denemeden sonra başarısız
       *[other] { $attempts } denemeden sonra başarısız
    }

## Bir uyarının bulguları, her olgu için bir cümle (sayılar ondalıklı olabilir).

evidence-above-upper-bound = { $symptom } { $day }. günde { $score }, beklenen en fazla { $upper }
evidence-above-upper-bound-severe-swelling = { $symptom } { $day }. günde { $score }, beklenen en fazla { $upper } (şiddetli şişlik: anjiyoödem olabilir)
evidence-persisting-beyond-window = { $symptom } { $day }. günde { $score }, beklenen en fazla { $upper }; beklenen iyileşme süresi { $window_days }. günde bitmişti
evidence-early-worsening = { $symptom } { $from_day }. gündeki { $from_score } değerinden { $day }. günde { $score } değerine yükseldi, beklenen yaklaşık { $expected }
evidence-rebound = { $symptom } { $from_day }. gündeki { $from_score } değerinden { $day }. günde { $score } değerine yükseldi, beklenen en fazla { $upper }
evidence-missed-logs = { $from_day }–{ $to_day }. günlerde kayıt yok
evidence-missed-check-in = { $day }. gün civarında kontrol kaydı yok
evidence-signs = { $day }. günde bildirildi: { $signs }
evidence-signs-dark-patches = { $day }. günde bildirildi: { $signs }; cilt tipi { $skin_type } (inflamasyon sonrası hiperpigmentasyon açısından izlenmeli)
evidence-signs-cold-sore = { $day }. günde bildirildi: { $signs }; uçuk öyküsü var (herpes simpleks reaktivasyonu olabilir)
evidence-signs-emergency = { $day }. günde bildirildi: { $signs } (anafilaksi olabilir; hastaya acil numarayı araması söylendi)
evidence-signs-red-bumps = { $day }. günde bildirildi: { $signs } (granülomatöz reaksiyon olabilir)
evidence-signs-lingering = { $day }. günde bildirildi: { $signs }; en geç { $until_day }. güne kadar beklenirdi
console-evidence-signs-unnamed = Belirtiler
console-evidence-on-day = { $day }. gün: { $reason }

## Hastalar

console-patients-title = Hastalar
console-patients-none = Henüz hasta yok.
console-patients-day = Gün
console-patients-open-flags = Açık uyarılar
console-patients-last-log = Son kayıt
console-patients-missed = Kaçırılan günler
console-patients-enrolled = Uygulama kaydı
console-patients-no-treatment = Tedavi yok
console-patients-no-log = Henüz yok
console-patients-not-yet = Henüz değil
console-patients-open-count = { $count } { $severity }
console-patients-hint = Gün: son tedaviden sonraki bugünkü gün, hastanın saat dilimine göre. Kaçırılan günler: 0–{ $last }. günlerden kaydı olmadan biten günler.
console-patients-add = Hasta ekle
console-patients-skin-type-label = Fitzpatrick cilt tipi
console-patients-choose-skin-type = Cilt tipini seçin
console-patients-add-button = Hastayı ekle
console-patient-app = Uygulama
console-patient-enrolled = Kayıtlı
console-patient-not-enrolled = Henüz kayıtlı değil
console-enrol-already = Uygulama zaten kayıtlı.
console-enrol-warning = Yeni bir kod kullanıldığında hastanın uygulamasındaki oturumlar tüm cihazlarda kapanır ve uygulama yeni kodla yeniden kurulmalıdır.
console-enrol-confirm = Anladım: yeni kod kullanıldığında hastanın uygulama oturumlarını kapat
console-enrol-new-code = Yeni kayıt kodu oluştur
console-enrol-code = Kayıt kodu oluştur
console-enrol-page-title = Kayıt kodu
console-enrol-title = { $name } için kayıt kodu
console-enrol-give = Bu kodu hastaya verin; aftercare uygulamasına girsin (ya da okutsun). Kod bir kez çalışır ve yalnızca şimdi gösterilir.
console-enrol-qr = { $code } kayıt kodunun QR kodu
console-treatments-none = Henüz kayıtlı tedavi yok.

## Hasta sayfasında bir tedavi

console-treatment-heading = { $session }. seans, { $area }, { $depth } mm
console-treatment-performed = Uygulama zamanı
console-treatment-performed-at = { $at } (hastanın saati)
console-treatment-today = Bugün kaçıncı gün
console-cautions = Dikkat edilecekler
console-caution-keloid_tendency_deep = keloid eğilimi ve { $limit } mm'den derin iğneleme ({ $depth } mm): hipertrofik veya keloid iz riski
console-override = Kontrendikasyona rağmen uygulama
console-expected-course = Beklenen seyir
console-expected-course-facts = { $protocol } v{ $version }, yaklaşık { $days } gün; kontrol günleri: { $check_ins }
console-series = Seri
console-series-follows = { $session }. seansın ardından ({ $area }, { $depth } mm, { $date }), { $days } gün önce
console-series-too-soon = bu bölge için en az { $interval } günlük aralıktan erken
console-series-caption = Bu seans ile bir öncekinin karşılaştırması (kaydedilen en yüksek puanlar)
console-series-this = Bu seans
console-series-previous = Önceki seans
console-series-peak = { $day }. günde { $score }
console-series-not-logged = kayıt yok
console-series-days-logged = Kayıtlı gün
console-series-flags = Uyarılar
console-charts = İyileşme grafikleri
console-charts-hint = Gölgeli bant: beklenen puandan üst sınıra kadar. Çizgi: beklenen puan. Daireler: kaydedilen puanlar; baklavalar: üst sınırı aşan kayıtlı puanlar.
console-charts-hint-signs = Üstteki üçgenler: hastanın uyarı belirtisi bildirdiği günler.
console-chart-title = { $symptom }: { $days } gün boyunca beklenen puan, üst sınır ve kaydedilen { $logged } puan
console-chart-title-signs =
    { $days ->
        [one] ; bir günde uyarı belirtisi
       *[other] ; { $days } günde uyarı belirtisi
    }
console-chart-axis = tedaviden sonraki gün
console-chart-point = { $day }. gün: { $score }
console-chart-point-over = { $day }. gün: { $score }, üst sınır { $upper } aşıldı
console-chart-signs = { $day }. gün: uyarı belirtileri: { $signs }
console-logs = Günlük kayıtlar
console-logs-none = Henüz kayıt yok.
console-logs-date = Tarih
console-logs-note = Not
console-reminders = Hatırlatmalar
console-plan-caption = Hatırlatma planı (hastanın yerel saati)
console-plan-reminder = Hatırlatma
console-plan-days = Günler
console-plan-times = Saatler
console-adherence-none = Henüz zamanı gelen hatırlatma yok.
console-adherence-caption = Şimdiye kadarki uyum
console-adherence-done = Yapıldı
console-adherence-not-done = Yapılmadı
console-adherence-of = { $due } hatırlatmanın { $done } tanesi

## Tedavi kaydetme

console-treatment-form-title = Tedavi kaydet
console-treatment-form-when = Tarih ve saat (hastanın yerel saati)
console-treatment-form-area = Bölge
console-treatment-form-depth = İğne derinliği (mm, 0,25–3,0)
console-treatment-form-session = Serideki seans numarası (önceki seansın devamı için boş bırakın)
console-treatment-form-products = Uygulanan serum veya ürünler
console-treatment-form-override = Kontrendikasyona rağmen uygulama gerekçesi (yalnızca varsa)
console-treatment-form-submit = Tedaviyi kaydet

## Personel (yöneticiler)

console-staff-title = Personel
console-staff-role = Rol
console-staff-status = Durum
console-staff-change = Değiştir
console-staff-active = Etkin
console-staff-deactivated = Devre dışı
console-staff-action-deactivate = Devre dışı bırak
console-staff-action-reactivate = Yeniden etkinleştir
console-staff-action-make_admin = Yönetici yap
console-staff-action-make_clinician = Klinisyen yap
console-staff-action-reset_code = Sıfırlama kodu oluştur
console-staff-action-unknown = sayfadaki düğmelerden biri olmalı
console-staff-add-title = Klinisyen veya yönetici ekle
console-staff-password-hint = Bir parola oluşturulur ve yalnızca bir kez, yüz yüze iletilmek üzere gösterilir.
console-staff-add = Ekle
console-staff-added = { $name } ({ $email }) { $role } olarak eklendi.
console-staff-password = Parolası, yalnızca şimdi gösteriliyor:
console-staff-reset-code = Tek kullanımlık sıfırlama kodu, yalnızca şimdi gösteriliyor:
console-staff-reset-valid = { $until } tarihine kadar, bir kez geçerli. Uygulamada ya da şununla kullanılır:

## Denetim kaydı (yöneticiler)

console-audit-title = Denetim kaydı
console-audit-hint = Kim neyi okudu veya değiştirdi, en yeniden eskiye.
console-audit-who = Kim
console-audit-action = İşlem
console-audit-record = Kayıt
console-audit-patient = hasta { $id }
console-audit-older = Daha eski kayıtlar

## Bildirimler (yöneticiler)

console-alerts-title = Bildirimler
console-alerts-who = Bildirimleri kimler alır
console-alerts-emails = Bildirim e-posta adresleri (her satıra bir tane)
console-alerts-emails-hint = Ortak bir gelen kutusu veya nöbetçi klinisyenler. Personel e-posta bildirimlerini kendisi için de açabilir.
console-alerts-min-severity = Bildirim gönderilen en düşük önem
console-alerts-timezone = Kliniğin saat dilimi (IANA adı)
console-alerts-emergency-number = Hastalara aramaları söylenen acil numara
console-alerts-default-locale = Kliniğin dili
console-alerts-default-locale-hint = Yeni hastalar ve personel bu dille başlar; kliniğin bildirim adreslerine giden e-postalar da bu dildedir.
console-webhooks-title = Webhook'lar
console-webhooks-hint = Uyarı olayları imzalı JSON olarak POST edilir (yalnızca kimlikler; ad veya not yok). İmza için API belgelerine bakın.
console-webhooks-none = Henüz webhook yok.
console-webhooks-url = URL
console-webhooks-delete = Sil
console-webhooks-add-url = Webhook URL'si ekle (https)
console-webhooks-add = Ekle
console-webhooks-added = Eklendi:
console-webhooks-secret = İmzalama anahtarı, yalnızca şimdi gösteriliyor:
console-photos = Fotoğraflar
# $date: the log's date
console-photo-alt = Cilt fotoğrafı, { $date }

## Klinik ayarları ve klinik kodları
console-nav-clinic = Klinik
console-clinic-title = Klinik ayarları
console-clinic-code = Klinik kodu
console-clinic-code-hint = Aynı e-posta ile birden fazla klinikte hesabı olanlar giriş yaparken bu kodu yazar. Değiştirilemez.
console-clinic-name = Klinik adı
console-clinic-timezone-hint = Konsoldaki saatler bu saat diliminde gösterilir.
console-clinic-push-privacy = Kilitli ekranda bildirimin gösterdiği
console-clinic-push-privacy-generic = Genel bir metin ("Bir hatırlatmanız var"); ayrıntıları uygulama gösterir
console-clinic-push-privacy-detailed = Hatırlatmanın metni
console-clinic-alerts-link = Bildirimleri kimin alacağı Bildirimler sayfasında ayarlanır.
console-sign-in-clinic-hint = (yalnızca birden fazla klinikte çalışıyorsanız)
console-sign-in-code-invalid = Klinik kodu 4 ile 12 arasında harf ve rakamdan oluşur.
console-sign-in-ambiguous = Bu e-posta ve parola birden fazla klinikteki hesapları açıyor. Giriş yapacağınız kliniğin kodunu girin: kliniğin yöneticileri bu kodu klinik ayarları sayfasında görür.

## Düzeltmeler, taburcu ve iptal
console-discharged-title = Taburcu edilen hastalar
console-discharged = Taburcu
console-discharged-at = { $at } — hatırlatma gönderilmez
console-correct-patient = Hastanın bilgilerini düzelt
console-correct-timezone = Saat dilimi (gönderilmemiş hatırlatmalar bu dilime taşınır)
console-correct-save = Düzeltmeleri kaydet
console-readmit = Yeniden kabul et (hatırlatmaları yeniden planla)
console-discharge-confirm = İyileşme süreci bitti: tüm hatırlatmaları durdur
console-discharge = Taburcu et
console-correct-treatment = Bu uygulamayı düzelt
console-correct-treatment-hint = Düzeltmeler kayıttan sonraki { $days } gün içinde yapılabilir. Hatırlatmalar yeniden planlanır ve kayıtlar yeniden değerlendirilir.
console-cancel-treatment = Bu uygulamayı iptal et (yanlışlıkla kaydedildi)
console-cancel-reason = Gerekçe
console-cancel-treatment-hint = Hatırlatmaları kaldırılır ve işaretleri kapatılır; yeni kayıt almaz. Kayıtlarda kalır.
console-cancel-treatment-submit = Uygulamayı iptal et
console-treatment-cancelled = { $who } tarafından iptal edildi, { $at }: “{ $reason }” — hatırlatma yok, işaret yok, yeni kayıt yok; kayıt için saklanıyor.
console-audit-changes = Değişiklikler
console-audit-reason = Gerekçe: “{ $reason }”
