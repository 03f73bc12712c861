# Günlük bakım önerileri (care-<kod>) ve kliniği aramayı gerektiren
# durumlar (care-call-<kod>).

## Yapın

care-rinse_only = Bu akşam yalnızca ılık suyla durulayın ve temiz bir havluyla hafifçe bastırarak kurulayın. Temizleyici kullanmayın, ovalamayın.
care-leave_prp_on = PRP'yi cildinizde bırakın: işlem yapılan bölgeyi en az 4 saat yıkamayın.
care-no_hair_wash_today = Bugün saçınızı yıkamayın. Yarından itibaren ılık suyla hafif, parfümsüz bir şampuan kullanın.
care-avoid_sun_today = Bugün güneşten uzak durun; dışarı çıkmanız gerekirse geniş kenarlı bir şapka takın. Güneş koruyucuya yarın başlayın.
care-gentle_cleanser = Hafif, parfümsüz bir temizleyici ve ılık suyla yıkayın. Ovalamadan, hafifçe bastırarak kurulayın.
care-sunscreen = Her sabah SPF 30 veya üzeri, geniş spektrumlu bir güneş koruyucu sürün; dışarıdaysanız 2 saatte bir yenileyin. İşlem yapılan cilt daha kolay yanar.
care-sunscreen_midday = Cildiniz iyileşirken daha kolay koyulaşır: ilk iki hafta öğle saatinde güneş koruyucuyu yenileyin ve dışarıda geniş kenarlı bir şapka takın.
care-antiviral = Kliniğinizin yazdığı antiviral ilacı, tedavi bitene kadar tam olarak söylendiği gibi kullanın: işlemden sonra uçuk çıkmasını önlemeye yardımcı olur.
care-bruising_may_last = Kan sulandırıcı ilaç kullandığınız için morlukların geçmesi iki haftayı bulabilir. Bu beklenen bir durumdur: ilacınızı size söylendiği gibi kullanmaya devam edin.
care-loose_clothing = İşlem yapılan cildin üzerine bol, temiz ve yumuşak giysiler giyin: dar ya da sert kumaş cildi sürter ve tahriş eder.
care-moisturize = Sabah ve akşam hafif, parfümsüz, nem veren bir krem (ya da kliniğinizin verdiği serumu) sürün.
care-clean_pillowcase = Temiz bir yastık kılıfıyla, mümkünse sırtüstü uyuyun.
care-cool_compress = Cildiniz sıcak ya da şiş hissediyorsa, üzerine birkaç dakika temiz ve serin (buz gibi olmayan) bir kompres tutun.
care-let_it_shed = Soyulma normaldir. Nemlendirmeye devam edin ve soyulan derinin kendiliğinden dökülmesine izin verin.

## Yapmayın

care-no_makeup = İşlemden sonraki ilk 24 saat makyaj yapmayın; sonrasında yalnızca temiz fırçalar kullanın.
care-no_hair_products = İlk 72 saat boyunca işlem yapılan saçlı deriye saç boyası, şekillendirici ürün ya da kuru şampuan sürmeyin; dar şapka veya kask takmayın.
care-no_touching = İşlem yapılan cilde yıkanmamış ellerle dokunmayın.
care-no_sweating = İlk 72 saat spor salonuna, saunaya, buhar odasına, sıcak yogaya ya da havuza gitmeyin: ter, sıcaklık ve klor iyileşen cildi tahriş eder.
care-no_actives = İşlem yapılan cilde henüz retinol ya da retinoid, AHA/BHA asitleri, C vitamini veya peeling ürünleri sürmeyin.
care-no_picking = Soyulan deriyi ya da kabukları koparmayın, soymayın, ovalayarak çıkarmayın: iz ya da koyu leke bırakabilir.
care-no_tanning = İki hafta boyunca güneşlenmeyin, solaryuma girmeyin.
care-no_other_procedures = İki hafta boyunca bu bölgeye ağda, iple alım, lazer, kimyasal peeling ya da başka bir işlem yaptırmayın.

## Şu durumlarda kliniğinizi arayın

care-call-pus = İrin, sarı kabuklar ya da sızıntı
care-call-fever = Ateş ya da titreme
care-call-spreading_redness = Yayılan ya da iyileşeceğine kötüleşen kızarıklık, sıcaklık veya ağrı
care-call-blisters = Su kabarcıkları ya da uçuk
care-call-hives = Bir ürün kullandıktan sonra kurdeşen, kaşıntı ya da şişlik
care-call-bleeding = Hafifçe bastırınca durmayan kanama
care-call-dark_patches = İşlem yapılan ciltte beliren koyu lekeler
care-call-lasting_redness = Bir hafta sonra hâlâ belirgin olan kızarıklık ya da şişlik
