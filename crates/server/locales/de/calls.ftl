## Gesprächsdaten: Liste, Abruf, Export mit den rechtlichen Hinweisen, Datenschutz.
calls = Gesprächsdaten
calls-title = Gesprächsdaten von { $name }
calls-all-title = Gesprächsdaten aller Anlagen
tab-calls = Gesprächsdaten
calls-intro = Die Gespräche, die die TK-Anlage aufgezeichnet hat, so wie sie sie gemeldet hat (Zeiten nach der Uhr der Anlage). Die Liste wird nach dem eingegebenen Wert gefiltert.
calls-never-retrieved = Noch keine Gesprächsdaten abgerufen.
calls-retrieved-at = Zuletzt abgerufen { $time }
calls-records-stored = { $count ->
    [one] { $count } Datensatz gespeichert
   *[other] { $count } Datensätze gespeichert
}
calls-schedule-hint = Neue Datensätze werden alle 15 Minuten abgerufen, solange die TK-Anlage online ist, oder sofort mit der Schaltfläche.
calls-retrieve-now = Jetzt abrufen
calls-retrieve-started = Abruf gestartet: neue Datensätze erscheinen, sobald die TK-Anlage sie gesendet hat.
calls-retrieve-running = Ein Abruf der Gesprächsdaten dieser TK-Anlage läuft bereits.
calls-retrieve-all = Jetzt von allen Anlagen abrufen
calls-retrieve-all-started = { $count ->
    [one] Abruf für { $count } Anlage gestartet. Neue Datensätze erscheinen, sobald die TK-Anlagen sie gesendet haben.
   *[other] Abruf für { $count } Anlagen gestartet. Neue Datensätze erscheinen, sobald die TK-Anlagen sie gesendet haben.
}
calls-retrieve-all-busy = { $count ->
    [one] Bei { $count } Anlage lief bereits ein Abruf.
   *[other] Bei { $count } Anlagen lief bereits ein Abruf.
}
calls-left-out = { $count ->
    [one] { $count } Anlage wird nicht aufgeführt: ihre Gesprächsdaten erfordern die Rolle Gesprächsdaten und einen aktiven Wartungsvertrag.
   *[other] { $count } Anlagen werden nicht aufgeführt: ihre Gesprächsdaten erfordern die Rolle Gesprächsdaten und einen aktiven Wartungsvertrag.
}
calls-filter-text = Filter
calls-filter-from = Von
calls-filter-to = Bis
calls-filter-direction = Art des Gesprächs
calls-any = Alle
calls-direction-incoming = Kommend
calls-direction-outgoing = Gehend
calls-direction-group = Kommend an eine Gruppe
calls-direction-call-through = Call Through
calls-direction-door = Tür an extern
calls-col-time = Datum / Uhrzeit
calls-col-duration = Dauer
calls-col-partner = Externer Teilnehmer
calls-col-partner-name = Externer Name
calls-col-invoice-no = Nr. Rechnung
calls-col-invoice-name = Name Rechnung
calls-col-real-name = Name real
calls-col-connection = Anschluss
calls-col-billing = Art der Abrechnung
calls-col-call-type = Gesprächsart
calls-successful = erfolgreich
calls-unsuccessful = erfolglos
calls-none = Keine passenden Gespräche.
calls-masked-hint = Externe Rufnummern werden ohne ihre letzten Ziffern angezeigt (Firmeneinstellung); der Filter durchsucht sie nicht.
calls-export = Export
calls-export-hint = Die aktuellen Daten der Tabelle (mit Filter und Sortierung) als gespr_dat.csv: UTF-8, Zellen durch Semikolon getrennt, wie Tabellenkalkulationen mit deutschen Einstellungen sie öffnen.
calls-export-button = gespr_dat.csv exportieren
calls-export-comma = stattdessen mit Kommas
calls-legal-title = Rechtliche Hinweise zu Gesprächsdaten
calls-legal-important = Wichtig: Beachten Sie vor dem Speichern der Gesprächsdaten die folgenden rechtlichen Hinweise.
calls-legal-components = Die Gesprächsdaten enthalten unter anderem folgende rechtlich besonders geschützte Bestandteile:
calls-legal-time = Der Zeitpunkt eines Gesprächs
calls-legal-numbers = Die Rufnummern der internen und externen Gesprächsteilnehmer.
calls-legal-duration = Die Dauer eines Gesprächs
calls-legal-inform = Bevor die Gesprächsdaten gespeichert werden, müssen alle Benutzer der TK-Anlage darüber informiert werden, dass diese Inhalte weitergegeben werden und wer die erhaltenen Daten verwendet.
calls-legal-store = Die Daten müssen unbedingt sicher und entsprechend den gesetzlichen Vorgaben gespeichert werden.
calls-legal-dealer = Wenn Sie die Gesprächsdaten Ihrem Fachhändler oder dem Hersteller zur Fehleranalyse zur Verfügung stellen möchten, müssen Sie sicherstellen, dass die gesetzlichen Vorgaben erfüllt sind.
calls-legal-confirm = Ich habe die rechtlichen Hinweise gelesen und beachte sie.
calls-legal-download = Bestätigen und herunterladen
calls-legal-last = Sie haben sie zuletzt { $time } bestätigt; eine Bestätigung gilt 90 Tage.
calls-legal-not-ticked = Bestätigen Sie die rechtlichen Hinweise mit dem Häkchen.
calls-legal-api = Der Export von Gesprächsdaten erfordert die bestätigten rechtlichen Hinweise zu Gesprächsdaten: fügen Sie confirm_legal_notice=true hinzu, sobald Sie sie kennen und beachten.
calls-privacy = Datenschutz der Gesprächsdaten
calls-privacy-hint = Für alle Anlagen Ihrer Firma: Datensätze, die älter als die Aufbewahrungsfrist sind, werden gelöscht (0: behalten), und die letzten Ziffern externer Rufnummern können in der Liste, der API und dem Export verborgen werden (0: vollständig).
calls-retention-days = Datensätze aufbewahren (Tage)
calls-mask-digits = Letzte Ziffern externer Rufnummern verbergen
calls-privacy-saved = Die Datenschutzeinstellungen wurden gespeichert.
calls-privacy-admin-only = Nur ein Administrator einer Anlage Ihrer Firma kann diese Einstellungen ändern.
calls-bad-retention = Die Aufbewahrungsfrist muss zwischen 0 und 3650 Tagen liegen.
calls-bad-mask = Es können 0 bis 8 Ziffern verborgen werden.
calls-bad-number = „{ $value }“ ist keine Zahl.
calls-bad-date = „{ $value }“ ist kein Datum (JJJJ-MM-TT).
calls-text-too-long = Der Filtertext darf höchstens 100 Zeichen lang sein.
cmd-kind-calls-retrieve = Gesprächsdaten abrufen
cmd-step-calls-collect = Gesprächsdaten werden gesammelt
cmd-step-calls-upload = Gesprächsdaten werden hochgeladen
cmd-step-calls-done = Fertig
cmd-result-records = { $count ->
    [one] { $count } Datensatz
   *[other] { $count } Datensätze
}
cmd-error-batch-refused = Die Zentrale hat die von der TK-Anlage gesendeten Datensätze abgelehnt (Zeile { $line }: { $reason }). Nichts davon wurde gespeichert; der nächste Abruf fragt erneut.
audit-calls-exported = Gesprächsdaten exportiert
audit-calls-legal-confirmed = Rechtliche Hinweise zu Gesprächsdaten bestätigt
audit-calls-privacy-changed = Datenschutz der Gesprächsdaten geändert
