# Klinik personeline bildirimler: e-postalar ve konsolun tarayıcı
# bildirimleri, alıcının dilinde. Hasta adı, notu veya puanı içermezler.
# $clinic kliniğin adı, $severity email-severity-* sözcüklerinden biri,
# $reason bir uyarı nedeninin etiketi (flags.ftl).

email-severity-urgent = acil
email-severity-review = incelenmeli
email-severity-routine = rutin

email-opened-subject = [{ $clinic }] Uyarı ({ $severity }): { $reason }
email-opened-lead = { $clinic } kliniğinde bir iyileşme süreci uyarı aldı ({ $severity }): { $reason }.
email-reopened-subject = [{ $clinic }] Uyarı yeniden açıldı ({ $severity }): { $reason }
email-reopened-lead = { $clinic } kliniğinde bir uyarı yeni bulgularla yeniden açıldı ({ $severity }): { $reason }.
email-escalated-subject = [{ $clinic }] ÜST KADEMEYE İLETİLDİ: onaylanmamış uyarı ({ $severity }): { $reason }
email-escalated-lead = { $clinic } kliniğindeki acil bir uyarı ({ $reason }) zamanında onaylanmadı. Lütfen hemen birinin ilgilenmesini sağlayın.
email-resolved-subject = [{ $clinic }] Uyarı çözüldü: { $reason }
email-resolved-lead = { $clinic } kliniğindeki bir uyarı ({ $reason }, { $severity }) çözüldü.
# $lead yukarıdaki *-lead iletilerinden biri, $link uyarının konsol sayfası.
email-body =
    { $lead }

    Konsolda açın:
    { $link }

    Bu ileti hasta bilgisi içermez; görmek için oturum açın.

# $count: how many photos the patient added to the flagged day's log (never attached).
email-photos = Hasta o güne ait { $count } fotoğraf ekledi; konsolda görebilirsiniz.

alert-push-escalated-title = Acil uyarı onaylanmadı
alert-push-escalated-body = Henüz kimse onaylamadı: { $reason }
alert-push-reopened-title = Uyarı yeniden açıldı ({ $severity })
alert-push-reopened-body = Bir iyileşme sürecinin yeniden incelenmesi gerekiyor: { $reason }
alert-push-urgent-title = İncelenecek acil uyarı
alert-push-urgent-body = Bir iyileşme sürecinin incelenmesi gerekiyor: { $reason }
alert-push-opened-title = Yeni uyarı ({ $severity })
alert-push-opened-body = Bir iyileşme sürecinin incelenmesi gerekiyor: { $reason }
