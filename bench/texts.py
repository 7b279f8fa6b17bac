"""German support texts for generated tickets: templates with slots, filled from small word pools.

Plain ``str.format_map`` on fixed pools, with slots drawn only when used, keeps a text at a few
microseconds, so texts do not dominate the generator's run time. Each topic has its own
subjects, details, questions and resolutions, so a ticket reads as one coherent case.
"""

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

FIRST_NAMES = (
    "Anna", "Andreas", "Barbara", "Bernd", "Carina", "Christian", "Claudia", "Daniel", "Doris",
    "Elena", "Erik", "Eva", "Felix", "Frank", "Franziska", "Gabriele", "Georg", "Hannah", "Heike",
    "Holger", "Ines", "Jan", "Jana", "Jens", "Johanna", "Jonas", "Julia", "Jürgen", "Karin",
    "Katharina", "Klaus", "Lara", "Lea", "Lena", "Lukas", "Marco", "Maria", "Markus", "Martina",
    "Matthias", "Max", "Melanie", "Michael", "Monika", "Nadine", "Nico", "Nina", "Oliver",
    "Patrick", "Paul", "Petra", "Philipp", "Ralf", "Sabine", "Sandra", "Sarah", "Sebastian",
    "Simone", "Sophie", "Stefan", "Susanne", "Svenja", "Thomas", "Tim", "Tobias", "Ulrike", "Uwe",
    "Vanessa", "Werner", "Yvonne",
)  # fmt: skip
LAST_NAMES = (
    "Albrecht", "Arnold", "Bauer", "Baumann", "Beck", "Becker", "Berger", "Böhm", "Brandt",
    "Braun", "Busch", "Dietrich", "Engel", "Fischer", "Frank", "Franke", "Friedrich", "Fuchs",
    "Graf", "Groß", "Günther", "Haas", "Hahn", "Hartmann", "Hermann", "Hoffmann", "Hofmann",
    "Horn", "Huber", "Jäger", "Jung", "Kaiser", "Keller", "Klein", "Koch", "Köhler", "König",
    "Krämer", "Krause", "Krüger", "Kuhn", "Kühn", "Lange", "Lehmann", "Lorenz", "Ludwig", "Maier",
    "Mayer", "Meier", "Meyer", "Möller", "Müller", "Neumann", "Otto", "Peters", "Pohl", "Richter",
    "Roth", "Sauer", "Schäfer", "Scheffler", "Schmid", "Schmidt", "Schmitt", "Schneider", "Scholz",
    "Schröder", "Schubert", "Schulte", "Schulz", "Schumacher", "Schwarz", "Seidel", "Simon",
    "Sommer", "Stein", "Vogel", "Vogt", "Wagner", "Walter", "Weber", "Weiß", "Werner", "Winkler",
    "Wolf", "Wolff", "Zimmermann",
)  # fmt: skip
BRANCHES = (
    "Logistik", "Bau", "Immobilien", "Steuerberatung", "Maschinenbau", "Medizintechnik",
    "Versicherungen", "Autohaus", "Elektrotechnik", "Druckerei", "Spedition", "Architekten",
    "Rechtsanwälte", "Pflegedienst", "Zahntechnik", "Getränkehandel", "Metallbau", "Haustechnik",
    "Verpackung", "Personaldienste", "Möbelwerk", "Holzbau", "Lebensmittel", "Kunststofftechnik",
    "Energietechnik", "Reisebüro", "Optik", "Apotheken", "Textil", "Gartenbau",
)  # fmt: skip
REGIONS = ("", "", "", "Nord", "Süd", "West", "Ost", "Rhein-Main", "Franken", "Ruhr", "Bayern")
LEGAL_FORMS = ("GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "mbB")
CITIES = (
    "Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf", "Leipzig",
    "Dortmund", "Essen", "Bremen", "Dresden", "Hannover", "Nürnberg", "Duisburg", "Bochum",
    "Wuppertal", "Bielefeld", "Bonn", "Münster", "Mannheim", "Karlsruhe", "Augsburg", "Wiesbaden",
    "Regensburg", "Würzburg", "Ulm", "Kassel", "Erfurt", "Rostock",
)  # fmt: skip
# E.164 area codes (without the leading 0) for the cities above, plus mobile prefixes.
AREA_CODES = (
    "30", "40", "89", "221", "69", "711", "211", "341", "231", "201", "421", "351", "511", "911",
    "203", "234", "202", "521", "228", "251", "621", "721", "821", "611", "941", "931", "731",
    "561", "361", "381",
)  # fmt: skip
MOBILE_PREFIXES = (
    "151", "152", "157", "160", "162", "170", "171", "172", "173", "174", "175", "176", "177",
    "178", "179",
)  # fmt: skip
POSITIONS = (
    "",
    "",
    "Geschäftsführung",
    "Buchhaltung",
    "Empfang",
    "IT-Koordination",
    "Vertrieb",
    "Einkauf",
    "Personalabteilung",
    "Lager",
    "Projektleitung",
    "Assistenz der Geschäftsführung",
)
ENGLISH_FIRST = (
    "Emma", "Oliver", "James", "Charlotte", "Amelia", "Harry", "Grace", "Jack", "Sophia", "Henry",
)  # fmt: skip
ENGLISH_LAST = (
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Robinson",
    "Green",
)  # fmt: skip

FLOORS = ("Erdgeschoss", "1. OG", "2. OG", "3. OG", "Lager", "Empfangsbereich", "Untergeschoss")
ROOMS = ("Elbe", "Rhein", "Main", "Donau", "Alster", "Spree", "Isar", "Weser", "Neckar")
DEPARTMENTS = ("Buchhaltung", "Vertrieb", "Einkauf", "Personal", "Geschäftsleitung", "Lager")
SOFTWARE = ("DATEV", "SAP Business One", "AutoCAD", "Adobe Acrobat", "Lexware", "7-Zip", "VLC")
SERVER_PREFIXES = ("srv-app", "srv-db", "srv-file", "srv-dc", "vm-web", "vm-erp", "srv-mail")


def _server(rng: Random) -> str:
    return f"{rng.choice(SERVER_PREFIXES)}{rng.randint(1, 24):02d}"


class _Slots(dict[str, object]):
    """Slot values drawn only when a template asks for them (most use one or two)."""

    def __init__(self, rng: Random, person: str, city: str) -> None:
        super().__init__(person=person, city=city)
        self.rng = rng

    def __missing__(self, key: str) -> object:
        value = _DRAW[key](self.rng)
        self[key] = value
        return value


_DRAW: dict[str, Callable[[Random], object]] = {
    "ext": lambda rng: rng.randint(100, 899),
    "floor": lambda rng: rng.choice(FLOORS),
    "room": lambda rng: rng.choice(ROOMS),
    "dept": lambda rng: rng.choice(DEPARTMENTS),
    "server": _server,
    "volume": lambda rng: rng.choice("DEFGH") + ":",
    "job": lambda rng: "Sicherung-" + rng.choice(("Täglich", "Exchange", "SQL", "Fileserver")),
    "domain": lambda rng: rng.choice(("portal", "mail", "shop", "vpn")) + ".kunde.example",
    "port": lambda rng: rng.choice((443, 8443, 1433, 3389, 5060, 22, 21)),
    "project": lambda rng: rng.choice(("das ERP-Upgrade", "den Webshop", "die Testumgebung")),
    "drive": lambda rng: rng.choice("GHKLPST") + ":",
    "pc": lambda rng: f"PC-{rng.randint(1, 250):03d}",
    "software": lambda rng: rng.choice(SOFTWARE),
    "n": lambda rng: rng.randint(2, 30),
    "time": lambda rng: f"{rng.randint(6, 17)}:{rng.choice(('00', '15', '30', '45'))}",
    "group": lambda rng: rng.choice(("Zentrale", "Vertrieb", "Service", "Disposition")),
    "date": lambda rng: f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.",
}


@dataclass(frozen=True)
class TopicTexts:
    # (subject, what the customer adds, how it was solved): one coherent case each.
    cases: tuple[tuple[str, str, str], ...]
    # Sentences that fit any case of the topic.
    details: tuple[str, ...]
    attempts: tuple[str, ...]
    measures: tuple[str, ...]
    # (question to the customer, the customer's answer)
    questions: tuple[tuple[str, str], ...]


TOPICS: dict[str, TopicTexts] = {
    "Telefonie": TopicTexts(
        cases=(
            (
                "Keine ausgehenden Anrufe am Standort {city} möglich",
                "Eingehende Anrufe funktionieren, ausgehend kommt sofort ein Besetztzeichen.",
                "Die Amtsberechtigung der Nebenstellen war nach einer Änderung verloren "
                "gegangen; sie wurde wiederhergestellt, ausgehende Anrufe funktionieren.",
            ),
            (
                "Rufumleitung für Durchwahl {ext} funktioniert nicht",
                "Die Umleitung auf das Handy war bis gestern eingerichtet und lief problemlos.",
                "Die Rufumleitung wurde im Portal korrigiert und mit einem Testanruf bestätigt.",
            ),
            (
                "DECT-Telefone im {floor} verlieren ständig die Verbindung",
                "Mitten im Gespräch bricht die Verbindung ab, das Display zeigt „Suche Basis“.",
                "Die DECT-Basisstation im {floor} wurde getauscht, die Verbindung ist stabil.",
            ),
            (
                "Anrufer hören uns nicht (einseitige Sprachverbindung)",
                "Wir hören die Anrufer, die Anrufer uns aber nicht.",
                "Eine Firewall-Regel blockierte den Sprachkanal (RTP); sie wurde angepasst.",
            ),
            (
                "Voicemail-Benachrichtigung per E-Mail kommt nicht an",
                "Die Nachrichten liegen auf der Box, nur die E-Mail dazu fehlt.",
                "Die Voicemail-Zustellung war durch eine volle Mailbox blockiert; sie wurde "
                "geleert und die Benachrichtigung getestet.",
            ),
            (
                "Neue Durchwahl für {person} einrichten",
                "Die neue Kollegin fängt am {date} an und braucht einen Apparat im {floor}.",
                "Die Durchwahl {ext} ist eingerichtet und dem Telefon zugeordnet.",
            ),
            (
                "Warteschleifenansage austauschen",
                "Die neue Ansage haben wir als MP3-Datei angehängt.",
                "Die neue Ansage ist eingespielt und wurde mit einem Testanruf geprüft.",
            ),
            (
                "Softphone meldet „Registrierung fehlgeschlagen“",
                "Das Softphone lief bis zum letzten Update ohne Probleme.",
                "Die Zugangsdaten des Softphones wurden nach dem Update neu hinterlegt.",
            ),
            (
                "Sammelruf {group} klingelt nicht bei allen Apparaten",
                "Zwei der fünf Telefone klingeln nicht mit.",
                "Die fehlenden Apparate wurden wieder in die Sammelrufgruppe aufgenommen.",
            ),
            (
                "Knacken und Echo bei Gesprächen ins Mobilfunknetz",
                "Es betrifft nur Gespräche, die länger als etwa zwei Minuten dauern.",
                "Der Codec des SIP-Trunks wurde angepasst, das Echo ist nicht mehr zu hören.",
            ),
            (
                "SIP-Trunk seit {time} Uhr gestört",
                "Wir sind von außen gar nicht mehr erreichbar.",
                "Der Carrier hatte eine Störung; nach deren Behebung wurde der Trunk neu "
                "registriert, alle Leitungen sind wieder frei.",
            ),
        ),
        details=(
            "Das Problem tritt seit heute Morgen gegen {time} Uhr auf.",
            "Betroffen sind alle Apparate im {floor}.",
            "Ein Neustart des Telefons hat nichts geändert.",
            "Kunden beschweren sich bereits, dass sie uns nicht erreichen.",
        ),
        attempts=(
            "Telefon am Port neu gestartet, Registrierung an der Anlage geprüft.",
            "Einstellungen im Portal kontrolliert und neu gesetzt.",
            "Testanruf von extern durchgeführt, Fehler nachvollzogen.",
            "Konfiguration der Nebenstelle mit einem funktionierenden Apparat verglichen.",
        ),
        measures=(
            "Nebenstelle {ext} neu provisioniert.",
            "Kunde gebeten, bis zur Lösung die Zentrale als Ausweichnummer zu nutzen.",
            "Trace des SIP-Verkehrs mitgeschnitten und am Ticket abgelegt.",
            "Ersatzgerät vorbereitet.",
        ),
        questions=(
            (
                "Können Sie uns bitte die genaue Rufnummer nennen, bei der der Fehler auftritt?",
                "Es betrifft die Durchwahl {ext}, die anderen Apparate funktionieren.",
            ),
            (
                "Seit wann genau besteht das Problem, und betrifft es alle Apparate?",
                "Seit Montagmorgen, und nur die Telefone im {floor}.",
            ),
            (
                "Welche Meldung zeigt das Display des Telefons an?",
                "Im Display steht „Kein Dienst“, die LED blinkt rot.",
            ),
        ),
    ),
    "Rechenzentrum": TopicTexts(
        cases=(
            (
                "Server {server} nicht erreichbar",
                "Der Ping geht durch, die Anmeldung aber nicht.",
                "Ein Dienst hing nach einem Update; er wurde neu gestartet und das Monitoring "
                "angepasst, damit ein Hänger künftig früh erkannt wird.",
            ),
            (
                "Backup-Job {job} ist heute Nacht fehlgeschlagen",
                "Die Sicherung endete mit dem Status „Fehler“, Ursache steht nicht im Bericht.",
                "Der Sicherungsjob scheiterte an einem abgelaufenen Dienstkonto-Kennwort; es "
                "wurde erneuert und die Sicherung nachgeholt.",
            ),
            (
                "VM {server} reagiert sehr langsam",
                "Das Problem tritt vor allem zwischen 8 und 10 Uhr auf, wenn alle arbeiten.",
                "Die VM bekam mehr Arbeitsspeicher und wurde auf einen weniger ausgelasteten "
                "Host verschoben.",
            ),
            (
                "Speicherplatz auf Volume {volume} von {server} fast voll",
                "Das Monitoring meldet nur noch 3 % freien Speicher.",
                "Das Volume wurde dauerhaft erweitert; alte Protokolldateien wurden archiviert.",
            ),
            (
                "VPN-Tunnel zum Standort {city} bricht regelmäßig ab",
                "Etwa jede Stunde ist die Verbindung für einige Minuten weg.",
                "Der VPN-Tunnel wurde auf neue Parameter umgestellt und läuft seitdem stabil.",
            ),
            (
                "Zertifikat für {domain} läuft in {n} Tagen ab",
                "Bitte rechtzeitig erneuern, der Dienst ist für unsere Kunden wichtig.",
                "Das Zertifikat wurde erneuert und auf allen Systemen eingespielt.",
            ),
            (
                "Wiederherstellung eines gelöschten Ordners auf {server}",
                "Wir brauchen den Stand von gestern Abend, etwa {n} Dateien sind betroffen.",
                "Der Ordner wurde aus der Sicherung wiederhergestellt und vom Kunden geprüft.",
            ),
            (
                "Firewall-Freigabe für Port {port} benötigt",
                "Ein Dienstleister muss auf unser System zugreifen.",
                "Die Freigabe ist eingerichtet und auf die genannten Quelladressen beschränkt.",
            ),
            (
                "Datenbank auf {server} startet nach dem Patch-Update nicht",
                "Im Ereignisprotokoll steht „Dienst wurde unerwartet beendet“.",
                "Das fehlerhafte Update wurde zurückgenommen, die Datenbank läuft wieder; das "
                "Update wird nach Freigabe des Herstellers erneut eingespielt.",
            ),
            (
                "Monitoring meldet RAID degraded auf {server}",
                "Im Ereignisprotokoll stehen viele Warnungen zur Festplatte.",
                "Die defekte Festplatte wurde getauscht, der RAID-Verbund ist wieder synchron.",
            ),
            (
                "Neue virtuelle Maschine für {project} bereitstellen",
                "Benötigt werden 4 CPUs, 16 GB RAM und 200 GB Speicher.",
                "Die VM ist bereitgestellt, die Zugangsdaten wurden dem Kunden übermittelt.",
            ),
        ),
        details=(
            "Die Anwendung meldet einen Timeout beim Verbindungsaufbau.",
            "Seit {time} Uhr können die Kollegen nicht mehr arbeiten.",
            "Es wurde nichts an unserer Seite geändert.",
            "Bitte melden Sie sich, bevor Sie etwas neu starten.",
        ),
        attempts=(
            "Erreichbarkeit von intern und extern geprüft, Dienst-Status kontrolliert.",
            "Auslastung von CPU, RAM und Storage im Monitoring ausgewertet.",
            "Logdateien der letzten 24 Stunden gesichtet.",
            "Sicherungsjob manuell neu gestartet.",
        ),
        measures=(
            "Snapshot der VM vor allen Änderungen erstellt.",
            "Dienst auf {server} neu gestartet, Monitoring verschärft.",
            "Wartungsfenster mit dem Kunden für heute Abend abgestimmt.",
            "Volume {volume} vorläufig um 50 GB erweitert.",
        ),
        questions=(
            (
                "Ab welchem Zeitpunkt sollen die Daten wiederhergestellt werden?",
                "Bitte den Stand von gestern 18 Uhr wiederherstellen.",
            ),
            (
                "Dürfen wir den Server heute Abend für etwa 15 Minuten neu starten?",
                "Ja, ab 19 Uhr ist ein Neustart in Ordnung.",
            ),
            (
                "Welche Quell-IP-Adressen sollen zugelassen werden?",
                "Nur unser Standort {city}, die Adressen stehen im Anhang.",
            ),
        ),
    ),
    "Managed IT Service": TopicTexts(
        cases=(
            (
                "Drucker im {floor} druckt nicht mehr",
                "Der Drucker zeigt „Papierstau“, obwohl kein Papier feststeckt.",
                "Der Druckertreiber wurde aktualisiert und die Warteschlange bereinigt.",
            ),
            (
                "Outlook startet nicht bei {person}",
                "Outlook bleibt beim Laden des Profils hängen.",
                "Das Outlook-Profil wurde neu angelegt; E-Mails und Kalender sind wieder da.",
            ),
            (
                "Neuer Mitarbeiter ab {date}: Arbeitsplatz einrichten",
                "Benötigt werden Notebook, Postfach und Zugriff auf das Laufwerk {drive}.",
                "Der Arbeitsplatz ist eingerichtet, die Zugangsdaten liegen der "
                "Personalabteilung vor.",
            ),
            (
                "Notebook von {person} startet nicht mehr",
                "Das Gerät zeigt nach dem Einschalten nur einen schwarzen Bildschirm.",
                "Das Mainboard war defekt; das Notebook wurde getauscht und die Daten übernommen.",
            ),
            (
                "Passwort für {person} zurücksetzen",
                "Das Konto ist nach mehreren Fehlversuchen gesperrt.",
                "Das Kennwort wurde zurückgesetzt und das Konto entsperrt.",
            ),
            (
                "Teams-Besprechungen ohne Ton",
                "Im Browser funktioniert es, nur in der Desktop-App nicht.",
                "Der Audiotreiber wurde aktualisiert und das Headset in Teams neu zugeordnet.",
            ),
            (
                "WLAN im Besprechungsraum {room} sehr langsam",
                "Videokonferenzen brechen dort ständig ab.",
                "Ein Access Point im Raum {room} wurde ergänzt; der Durchsatz ist jetzt gut.",
            ),
            (
                "Bildschirm am Arbeitsplatz {pc} flackert",
                "Es wird schlimmer, je länger der Rechner läuft.",
                "Das Monitorkabel war beschädigt und wurde ersetzt.",
            ),
            (
                "Freigabe auf Netzlaufwerk {drive} für Abteilung {dept}",
                "Die Abteilung soll auf den Projektordner zugreifen können.",
                "Die Berechtigungen wurden für die Gruppe der Abteilung {dept} gesetzt.",
            ),
            (
                "Virenscanner meldet Fund auf {pc}",
                "Die Meldung kam beim Öffnen eines E-Mail-Anhangs.",
                "Die Datei wurde in Quarantäne verschoben, ein vollständiger Scan war unauffällig.",
            ),
            (
                "{software} auf {n} Arbeitsplätzen installieren",
                "Die Lizenzen liegen vor, die Liste der Rechner hängt an.",
                "Die Software wurde per Softwareverteilung auf allen Arbeitsplätzen installiert.",
            ),
            (
                "Postfach von {person} ist voll",
                "Es kommen keine E-Mails mehr an.",
                "Ein Online-Archiv wurde eingerichtet, ältere E-Mails werden dorthin verschoben.",
            ),
        ),
        details=(
            "Ein Neustart des Rechners hat nicht geholfen.",
            "Das betrifft auch Kollegen aus der Abteilung {dept}.",
            "Gestern Abend wurden Updates installiert.",
            "Wir bräuchten das bis spätestens {date} erledigt.",
        ),
        attempts=(
            "Fernwartung aufgebaut und Fehler nachgestellt.",
            "Benutzerprofil geprüft, Cache der Anwendung geleert.",
            "Treiber neu installiert.",
            "Kontosperre im Active Directory kontrolliert.",
        ),
        measures=(
            "Ersatzgerät für {person} bereitgestellt.",
            "Vor-Ort-Termin für morgen vereinbart.",
            "Rechner {pc} vom Netz getrennt und vollständig gescannt.",
            "Kunde über die Zwischenlösung informiert.",
        ),
        questions=(
            ("Wann passt Ihnen ein Fernwartungstermin am besten?", "Heute ab 14 Uhr passt es."),
            (
                "Welche Rechte soll die Abteilung {dept} erhalten?",
                "Lesen und Schreiben, aber kein Löschen bitte.",
            ),
            (
                "Können Sie uns ein Foto der Fehlermeldung schicken?",
                "Das Foto hängt an, die Meldung kam nach dem Neustart erneut.",
            ),
        ),
    ),
}
TOPIC_NAMES = tuple(TOPICS)

GREETINGS = ("Hallo zusammen,", "Guten Tag,", "Sehr geehrte Damen und Herren,", "Hallo Support,")
CLOSINGS = ("Viele Grüße", "Mit freundlichen Grüßen", "Danke und Gruß", "Beste Grüße")
URGENCY = (
    "",
    "",
    "Bitte um schnelle Rückmeldung, wir können so nicht arbeiten.",
    "Es eilt nicht, sollte aber diese Woche gelöst werden.",
    "Bitte melden Sie sich telefonisch bei mir.",
)
NOTES = (
    "Rückruf beim Kunden: Problem besteht weiterhin, weitere Analyse läuft.",
    "Kunde hat angerufen und nach dem Stand gefragt; Zwischenstand mitgeteilt.",
    "Log-Auszug gesichert, auffällig sind wiederholte Verbindungsabbrüche.",
    "Abstimmung mit dem Kollegen aus dem Bereitschaftsdienst erfolgt.",
    "Termin für die Umsetzung steht, Kunde ist informiert.",
)
VENDOR_REPLIES = (
    "Bekannter Fehler in der aktuellen Firmware; bitte Version {n}.4 einspielen.",
    "Wir haben die Logs ausgewertet: ein Hardwaredefekt am Controller, Ersatzteil ist unterwegs.",
    "Bitte die Konfiguration wie im angehängten Dokument anpassen, danach sollte es laufen.",
)


@dataclass(frozen=True)
class Case:
    """The texts of one ticket, drawn once so that every article about it tells the same story."""

    subject: str
    description: str
    attempts: str
    measures: str
    question: str
    answer: str
    resolution: str
    note: str
    vendor_reply: str


def draw_case(rng: Random, topic: str, person: str, city: str) -> Case:
    texts = TOPICS[topic]
    slots = _Slots(rng, person, city)
    subject, detail, resolution = rng.choice(texts.cases)
    extra = rng.sample(texts.details, rng.randint(0, 2))
    question, answer = rng.choice(texts.questions)
    return Case(
        subject=subject.format_map(slots),
        description=" ".join((detail, *extra)).format_map(slots),
        attempts=rng.choice(texts.attempts).format_map(slots),
        measures=rng.choice(texts.measures).format_map(slots),
        question=question.format_map(slots),
        answer=answer.format_map(slots),
        resolution=resolution.format_map(slots),
        note=rng.choice(NOTES),
        vendor_reply=rng.choice(VENDOR_REPLIES).format_map(slots),
    )


def intake_text(rng: Random, case: Case, channel: str, contact: str, org: str, phone: str) -> str:
    """The first article: an agent's phone note, or the customer's own message."""
    if channel == "phone":
        return (
            f"Anruf von {contact} ({org}), Rückruf unter {phone}.\n"
            f"{case.subject}. {case.description} {rng.choice(URGENCY)}".rstrip()
        )
    urgency = rng.choice(URGENCY)
    return (
        f"{rng.choice(GREETINGS)}\n\n{case.subject}. {case.description}\n"
        f"{urgency + chr(10) if urgency else ''}\n{rng.choice(CLOSINGS)}\n{contact}\n{org}"
    )


def customer_reply(rng: Random, case: Case, contact: str) -> str:
    return f"{rng.choice(GREETINGS)}\n\n{case.answer}\n\n{rng.choice(CLOSINGS)}\n{contact}"


def handover_text(case: Case, affected: str, note: str = "") -> str:
    """Like ``lifecycle._handover_text``: the four documentation fields, headed in German."""
    text = (
        f"Ausgangslage:\n{case.description}\n\nBetroffene Personen:\n{affected}\n\n"
        f"Lösungsansätze:\n{case.attempts}\n\nGetroffene Maßnahmen:\n{case.measures}"
    )
    return f"{text}\n\nAnmerkung:\n{note}" if note else text


# --- outgoing mails, as the outbox templates render them (short versions) --------------------


def acknowledgement_mail(lang: str, number: str, subject: str, contact: str) -> tuple[str, str]:
    if lang == "en":
        return (
            f"We have received your request: {subject} [Ticket#{number}]",
            f"Dear {contact},\n\nthank you for your request. We have filed it under ticket number "
            f"{number} and are working on it.\n\nKind regards\nYour support team\n",
        )
    return (
        f"Ihre Anfrage ist bei uns eingegangen: {subject} [Ticket#{number}]",
        f"Guten Tag {contact},\n\nvielen Dank für Ihre Anfrage. Wir haben sie unter der "
        f"Ticketnummer {number} erfasst und kümmern uns darum.\n\nBetreff: {subject}\n\n"
        "Mit freundlichen Grüßen\nIhr Support-Team\n",
    )


def clarification_mail(
    lang: str, number: str, subject: str, contact: str, question: str, agent: str
) -> tuple[str, str]:
    if lang == "en":
        return (
            f"A question about your request: {subject} [Ticket#{number}]",
            f"Dear {contact},\n\nto work on your request (ticket {number}) we need to know:\n\n"
            f"{question}\n\nPlease simply reply to this email.\n\nKind regards\n{agent}\n",
        )
    return (
        f"Rückfrage zu Ihrer Anfrage: {subject} [Ticket#{number}]",
        f"Guten Tag {contact},\n\nzur Bearbeitung Ihrer Anfrage (Ticket {number}) benötigen wir "
        f"noch eine Auskunft:\n\n{question}\n\nBitte antworten Sie einfach auf diese E-Mail.\n\n"
        f"Mit freundlichen Grüßen\n{agent}\n",
    )


def resolution_mail(
    lang: str, number: str, subject: str, contact: str, resolution: str, until: str, agent: str
) -> tuple[str, str]:
    if lang == "en":
        return (
            f"Your request has been resolved: {subject} [Ticket#{number}]",
            f"Dear {contact},\n\nyour request (ticket {number}) has been resolved:\n\n"
            f"{resolution}\n\nIf the problem persists, please reply to this email by {until}.\n\n"
            f"Kind regards\n{agent}\n",
        )
    return (
        f"Ihre Anfrage wurde gelöst: {subject} [Ticket#{number}]",
        f"Guten Tag {contact},\n\nIhre Anfrage (Ticket {number}) wurde gelöst:\n\n{resolution}"
        f"\n\nSollte das Problem weiter bestehen, antworten Sie bitte bis zum {until} auf diese "
        f"E-Mail; das Ticket wird dann wieder geöffnet.\n\nMit freundlichen Grüßen\n{agent}\n",
    )


def vendor_mail(number: str, subject: str, org: str, handover: str, agent: str) -> tuple[str, str]:
    return (
        f"Bitte um Unterstützung: {subject} [Ticket#{number}]",
        f"Guten Tag,\n\nwir bitten um Ihre Unterstützung bei folgendem Fall unseres Kunden {org}."
        f"\n\n{handover}\n\nBitte antworten Sie auf diese E-Mail; Ihre Antwort wird dem Vorgang "
        f"zugeordnet.\n\nMit freundlichen Grüßen\n{agent}\n",
    )
