"""Table of cases for single flags: phrasing variants in every language, and look-alikes.

Each row: (label, text, flag id, expected present). Labels say what the case is about.
"""

from __future__ import annotations

CASES: list[tuple[str, str, str, bool]] = [
    # upfront_fee
    (
        "ro fee for documents",
        "Pentru acte trebuie achitat 200 de euro in avans.",
        "upfront_fee",
        True,
    ),
    (
        "ro pay to reserve",
        "Rezervarea locului costa 100 euro, achitati pe card.",
        "upfront_fee",
        True,
    ),
    ("ro diacritics", "Taxă de înregistrare: 150 €.", "upfront_fee", True),
    ("ro no fee", "Nu percepem nicio taxă de la candidați.", "upfront_fee", False),
    ("ro no fee -> protective", "Fara taxe pentru lucratori.", "employer_pays", True),
    ("ru prepayment", "Нужна предоплата 50% за оформление визы.", "upfront_fee", True),
    ("ru deposit", "Залог за место в общежитии 100 евро вперёд.", "upfront_fee", True),
    (
        "ru translit fee",
        "Oplata za oformlenie dokumentov 250 evro, platit srazu.",
        "upfront_fee",
        True,
    ),
    ("ru free", "Трудоустройство бесплатно, никаких предоплат.", "upfront_fee", False),
    (
        "ru free -> protective",
        "Трудоустройство бесплатно, никаких предоплат.",
        "employer_pays",
        True,
    ),
    ("uk fee", "Оформлення візи коштує 180 євро, оплата наперед.", "upfront_fee", True),
    ("uk free", "Оформлення документів безкоштовне для кандидатів.", "upfront_fee", False),
    ("en fee", "A one-time placement fee of 300 EUR is required.", "upfront_fee", True),
    ("en deposit", "Send a deposit of $200 to confirm your spot.", "upfront_fee", True),
    ("en no fee", "There is no fee for job seekers.", "upfront_fee", False),
    (
        "en employer pays visa",
        "The employer pays the visa fee and the flight.",
        "upfront_fee",
        False,
    ),
    ("en salary only", "Salary 1500 EUR per month, paid monthly.", "upfront_fee", False),
    ("ro salary plata", "Plata 12 euro pe ora, saptamanal.", "upfront_fee", False),
    # document_retention
    (
        "ro keep passport",
        "La sosire predati pasaportul sefului de echipa.",
        "document_retention",
        True,
    ),
    (
        "ro passport stays with you",
        "Pasaportul ramane la dumneavoastra tot timpul.",
        "document_retention",
        False,
    ),
    (
        "ru passport kept",
        "Документы будут храниться у работодателя до конца контракта.",
        "document_retention",
        True,
    ),
    ("ru translit", "pasport zaberem na vremya raboty, potom otdadim", "document_retention", True),
    ("ru stays with you", "Паспорт остаётся у вас.", "document_retention", False),
    (
        "uk passport",
        "Паспорт залишаєте у нас в офісі на час оформлення.",
        "document_retention",
        True,
    ),
    (
        "en keep passports",
        "The company will keep your passport until the end of the season.",
        "document_retention",
        True,
    ),
    ("en copies", "Leave copies of your documents with your family.", "document_retention", False),
    ("en you keep", "You keep your passport and ID at all times.", "document_retention", False),
    # no_written_contract
    ("ro no contract", "Lucram fara contract, platim pe loc.", "no_written_contract", True),
    ("ro contract there", "Contractul se face cand ajungeti acolo.", "no_written_contract", True),
    (
        "ro contract before",
        "Contractul se semneaza acasa, inainte de plecare.",
        "no_written_contract",
        False,
    ),
    ("ru no contract", "Работаем неофициально, договор не нужен.", "no_written_contract", True),
    ("uk no contract", "Працюємо без договору.", "no_written_contract", True),
    ("en verbal", "It is a verbal agreement, no paperwork.", "no_written_contract", True),
    ("en contract before", "You sign the contract before departure.", "no_written_contract", False),
    # written_contract_first
    (
        "ro contract before",
        "Semnati contractul de munca in Moldova, inainte de plecare.",
        "written_contract_first",
        True,
    ),
    (
        "ru contract before",
        "Договор подписываете в Кишинёве до выезда.",
        "written_contract_first",
        True,
    ),
    (
        "uk contract before",
        "Трудовий договір підписуєте до від'їзду.",
        "written_contract_first",
        True,
    ),
    (
        "en contract before",
        "Employment contract signed before you travel.",
        "written_contract_first",
        True,
    ),
    (
        "ro negated",
        "Contractul nu se semneaza inainte de plecare, ci acolo.",
        "written_contract_first",
        False,
    ),
    # contract_language
    (
        "ro sign unread",
        "Semnati actele fara sa le cititi, e doar o formalitate.",
        "contract_language",
        True,
    ),
    ("ru blank", "Подпишете чистые листы, остальное заполним сами.", "contract_language", True),
    ("en blank", "You will sign blank forms, we fill them in later.", "contract_language", True),
    (
        "en contract in your language",
        "Contract in Romanian and German.",
        "contract_language",
        False,
    ),
    # tourist_visa_work
    ("ro tourist", "Mergeti ca turisti, iar acolo va angajam.", "tourist_visa_work", True),
    (
        "ro papers later",
        "Permisul de sedere il facem acolo, dupa ce ajungeti.",
        "tourist_visa_work",
        True,
    ),
    (
        "ru tourist visa",
        "Едете по туристической визе, работаете на стройке.",
        "tourist_visa_work",
        True,
    ),
    ("uk visa-free", "Працюємо по безвізу, дозвіл не потрібен.", "tourist_visa_work", True),
    (
        "en tourist",
        "Come on a tourist visa and we will get you a job there.",
        "tourist_visa_work",
        True,
    ),
    ("en work visa", "A work visa is issued before departure.", "tourist_visa_work", False),
    ("ro advice", "Nu plecati ca turist la munca.", "tourist_visa_work", False),
    # unrealistic_pay
    ("ro easy money", "Castig usor, bani multi in putin timp!", "unrealistic_pay", True),
    ("ru easy money", "Лёгкий заработок без усилий.", "unrealistic_pay", True),
    ("en quick cash", "Make quick cash abroad!", "unrealistic_pay", True),
    (
        "en far above",
        "Warehouse job in Poland, salary 4500 EUR per month.",
        "unrealistic_pay",
        True,
    ),
    (
        "en normal pay",
        "Warehouse job in Poland, salary 1100 EUR per month.",
        "unrealistic_pay",
        False,
    ),
    # no_requirements
    ("ro no experience", "Nu este nevoie de experienta.", "no_requirements", True),
    ("ru no language", "Знание языка не требуется.", "no_requirements", True),
    ("uk no experience", "Досвід не потрібен.", "no_requirements", True),
    (
        "en experience required",
        "At least 2 years of experience required.",
        "no_requirements",
        False,
    ),
    # urgency_pressure
    ("ro leave tomorrow", "Plecarea este maine, grabiti-va!", "urgency_pressure", True),
    ("ru few places", "Осталось всего 3 места, успейте!", "urgency_pressure", True),
    ("en hurry", "Only 2 spots left, decide today!", "urgency_pressure", True),
    (
        "en calm",
        "Start date in three months; applications open until March.",
        "urgency_pressure",
        False,
    ),
    # unlicensed_agency
    (
        "ro no licence",
        "Licenta nu ne trebuie, lucram ca persoana fizica.",
        "unlicensed_agency",
        True,
    ),
    ("ru private person", "Я частный посредник, без лицензии.", "unlicensed_agency", True),
    (
        "en not an agency",
        "We are not an agency, just helping people from our village.",
        "unlicensed_agency",
        True,
    ),
    (
        "en direct employer",
        "We are not an agency, we are the employer directly.",
        "unlicensed_agency",
        False,
    ),
    # debt_bondage
    ("ro deducted", "Biletul de avion vi-l scadem din primul salariu.", "debt_bondage", True),
    ("ru debt", "Долг за дорогу отработаете за месяц.", "debt_bondage", True),
    ("uk deducted", "Вартість квитка утримуємо з першої зарплати.", "debt_bondage", True),
    ("en repaid", "Travel costs are repaid from your wages.", "debt_bondage", True),
    (
        "en per contract",
        "Accommodation 200 EUR per month deducted from salary as stated in the contract.",
        "debt_bondage",
        False,
    ),
    (
        "ru rent per month deducted",
        "Жильё 150 евро в месяц удерживается из зарплаты.",
        "debt_bondage",
        False,
    ),
    # restricted_freedom
    (
        "ro no leaving",
        "Nu aveti voie sa iesiti din ferma fara permisiune.",
        "restricted_freedom",
        True,
    ),
    ("ru phones", "Телефоны сдаются на время работы.", "restricted_freedom", True),
    (
        "en cannot leave",
        "Workers cannot leave the site during the contract.",
        "restricted_freedom",
        True,
    ),
    # secrecy
    ("ro tell nobody", "Nu spuneti nimanui despre aceasta oferta.", "secrecy", True),
    ("ru border", "На границе скажите, что едете в гости.", "secrecy", True),
    ("en secret", "Keep this offer secret from your family.", "secrecy", True),
    # sexual_exploitation_risk
    (
        "ro hostess girls",
        "Angajam fete tinere ca hostess in bar, 3000 euro.",
        "sexual_exploitation_risk",
        True,
    ),
    (
        "ru escort",
        "Требуются девушки для эскорт-услуг, высокий доход.",
        "sexual_exploitation_risk",
        True,
    ),
    (
        "en dancers",
        "Young women wanted as dancers in a night club in Cyprus.",
        "sexual_exploitation_risk",
        True,
    ),
    ("ro barman", "Angajam barman cu experienta in hotel.", "sexual_exploitation_risk", False),
    (
        "en bar staff men",
        "Bar staff needed for a hotel, 2 years experience.",
        "sexual_exploitation_risk",
        False,
    ),
    # targets_minors
    ("ro 16 years", "Acceptam tineri de la 16 ani.", "targets_minors", True),
    ("ru 17", "Берём с 17 лет.", "targets_minors", True),
    ("uk any age", "Вік не має значення.", "targets_minors", True),
    ("en under 18", "Students under 18 welcome.", "targets_minors", True),
    ("en adults", "Applicants must be 18 or older.", "targets_minors", False),
    ("ro no minors", "Nu angajam minori.", "targets_minors", False),
    ("ro experience years", "Experienta de la 2 ani.", "targets_minors", False),
    # third_country_transit
    (
        "ro via",
        "Zburati mai intai prin Turcia, apoi mergem mai departe.",
        "third_country_transit",
        True,
    ),
    ("ru decided there", "Страну определим на месте.", "third_country_transit", True),
    (
        "en decided later",
        "The employer will be decided when you arrive.",
        "third_country_transit",
        True,
    ),
    # cyber_scam_compound
    (
        "en call centre asia",
        "Call centre job in Myanmar, free ticket, $2000.",
        "cyber_scam_compound",
        True,
    ),
    ("ru crypto dubai", "Оператор чата в Дубае, работа с криптой.", "cyber_scam_compound", True),
    (
        "en call centre moldova",
        "Call centre operators in Chisinau, Romanian and Russian.",
        "cyber_scam_compound",
        False,
    ),
    # marriage_or_romance
    (
        "ro wife",
        "Caut o sotie din Moldova, ii ofer si lucru in Italia.",
        "marriage_or_romance",
        True,
    ),
    ("ru marriage", "Ищу жену, помогу с работой в Германии.", "marriage_or_romance", True),
    ("en couples", "Married couples welcome on our farm.", "marriage_or_romance", False),
    # photo_request
    ("ro photos", "Trimiteti o poza in costum de baie pentru selectie.", "photo_request", True),
    ("uk photos", "Надішліть фото в купальнику.", "photo_request", True),
    ("en passport photo", "Send your CV and a passport photo.", "photo_request", False),
    # no_office
    ("ro cafe", "Ne intalnim la cafeneaua din centru sa semnam actele.", "no_office", True),
    ("ru no office", "Офиса нет, всё решаем по телефону.", "no_office", True),
    ("en no office", "We have no office, we work online only.", "no_office", True),
    # excessive_hours
    ("ro 12 hours", "Program 12 ore pe zi, 6 zile pe saptamana.", "excessive_hours", True),
    ("ru no days off", "Работа без выходных.", "excessive_hours", True),
    ("en 40 hours week", "40 hours per week, weekends free.", "excessive_hours", False),
    # criminal_activity
    (
        "ro accounts",
        "Deschideti conturi bancare pe numele dvs pentru firma noastra.",
        "criminal_activity",
        True,
    ),
    ("ru drops", "Ищем дропов, оплата сразу.", "criminal_activity", True),
    (
        "en parcel delivery",
        "Parcel delivery driver in the UK, own van provided, payslips.",
        "criminal_activity",
        False,
    ),
    # social_media_only / anonymous_recruiter
    (
        "ro dm",
        "Lucru in Germania, salariu 2000 euro. Detalii in privat.",
        "social_media_only",
        True,
    ),
    (
        "ru telegram",
        "Работа в Чехии, 1500 евро. Пишите в телеграм @rabota_cz",
        "social_media_only",
        True,
    ),
    (
        "en phone given",
        "Warehouse job in Poland, 1200 EUR. Call +373 69 123 456 or WhatsApp.",
        "social_media_only",
        False,
    ),
    (
        "en mobile only",
        "Warehouse job in Poland, 1200 EUR. Call +373 69 123 456.",
        "anonymous_recruiter",
        True,
    ),
    (
        "en company site",
        "Warehouse job in Poland, 1200 EUR. Apply at www.logistics-poland.pl",
        "anonymous_recruiter",
        False,
    ),
    (
        "ro webmail",
        "Lucru in Italia, 1300 euro. CV la lucru.italia2024@gmail.com",
        "anonymous_recruiter",
        True,
    ),
    # cash_or_delayed_pay
    ("ro cash", "Salariul se plateste cash, in plic.", "cash_or_delayed_pay", True),
    ("ru end of season", "Расчёт в конце сезона.", "cash_or_delayed_pay", True),
    (
        "en bank transfer",
        "Wages paid monthly by bank transfer with a payslip.",
        "cash_or_delayed_pay",
        False,
    ),
    # protective
    ("ro licence", "Agentia are licenta nr. 01234 din 2022.", "licensed_agency_cited", True),
    (
        "ro named employer",
        "Angajator: Fresh Farm GmbH, Dorfstrasse 1, Bayern.",
        "named_employer",
        True,
    ),
    ("ru official", "Набор по программе ANOFM.", "official_channel", True),
    ("en eures", "Vacancy published on EURES.", "official_channel", True),
    ("uk permit", "Дозвіл на роботу оформлюємо до виїзду.", "work_permit_first", True),
    ("en no work permit", "No work permit needed, come as a tourist.", "work_permit_first", False),
    # look-alikes added while widening the patterns
    (
        "en honey farm",
        "Beekeeping farm in Spain needs helpers for honey harvest, 1300 EUR.",
        "marriage_or_romance",
        False,
    ),
    (
        "en come to the office",
        "Come to our office in Chisinau to sign the contract before departure.",
        "marriage_or_romance",
        False,
    ),
    (
        "ro avoid customs",
        "Conduceti microbuzul pe drumuri ocolite, pe langa vama, noaptea.",
        "criminal_activity",
        True,
    ),
    ("ru settle up later", "Билет оплачу, потом отдадите.", "debt_bondage", True),
    ("en 16 and older", "We hire young people 16 and older for farm work.", "targets_minors", True),
    ("uk tell nobody", "Не кажіть нікому, навіть рідним.", "secrecy", True),
    ("en hour shifts", "Roofing work, 12-hour shifts.", "excessive_hours", True),
    ("cz crowns are not danish", "Sklad v Chehii, 150 kron v chas.", "unrealistic_pay", False),
]
