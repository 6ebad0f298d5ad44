## Layout, Navigation, Statusseiten und Wörter, die jede Seite braucht.
skip-to-content = Zum Inhalt springen
nav-main = Hauptmenü
nav-dashboard = Dashboard
nav-systems = Systeme
nav-groups = Benutzergruppen
nav-authorisations = Berechtigungen
nav-admin-systems = Administration › Systeme
nav-audit = Administration › Audit-Protokoll
nav-operator = Betreiber › Firmen
nav-operator-news = Betreiber › Neuigkeiten
nav-api = API
nav-help = Hilfe
nav-help-here = Hilfe zu dieser Seite
nav-logout = Abmelden
legal-privacy = Datenschutz
legal-terms = Nutzungsbedingungen
legal-licenses = Open-Source-Lizenzen

status-400 = Ungültige Anfrage
status-401 = Nicht angemeldet
status-403 = Nicht erlaubt
status-404 = Nicht gefunden
status-405 = Methode nicht erlaubt
status-408 = Zeitüberschreitung
status-409 = Konflikt
status-413 = Zu groß
status-415 = Inhalt nicht unterstützt
status-422 = Nicht verarbeitbar
status-429 = Zu viele Anfragen
status-500 = Serverfehler
status-503 = Nicht verfügbar
status-other = Fehler
error-back = Zurück zur vorigen Seite
error-login = Anmelden
error-to-systems = Zu den Systemen
error-reference = Referenz für Ihren Administrator: { $id }

duration-days-hours = { $d } T { $h } h
duration-hours-minutes = { $h } h { $m } min
duration-minutes = { $m } min
duration-seconds = { $s } s

err-not-found = Nicht gefunden.
err-internal = Auf dem Server ist etwas schiefgegangen; die Einzelheiten stehen in seinem Protokoll.
err-api-unauthenticated = Melden Sie sich an oder senden Sie ein persönliches API-Token als `Authorization: Bearer …`.
err-invalid-json = Die Anfrage konnte nicht gelesen werden: { $detail }

yes = ja
no = nein
err-control-character = Das Feld „{ $field }“ enthält ein Steuerzeichen ({ $code }), das nicht erlaubt ist. Entfernen Sie es und versuchen Sie es erneut.
err-body-too-large = Der Inhalt der Anfrage ist zu groß.
err-cross-site = Diese Anfrage kam von einer anderen Website und wurde abgelehnt. Laden Sie die Seite neu und versuchen Sie es erneut.
err-token-outside-api = Persönliche API-Tokens gelten nur unter /api/v1; melden Sie sich an, um die Webseiten zu nutzen.
lang-name-en = English
lang-name-de = Deutsch
help-title = Online-Hilfe
licenses-own = Zentrale { $version } ist freie Software unter der GNU Affero General Public License, Version 3 oder neuer; ihre eigenen Skripte und Stylesheets (app.js, app.css) stehen unter derselben Lizenz.
licenses-intro = { $count ->
    [one] Sie ist aus einem Open-Source-Bestandteil gebaut, hier mit Lizenz und Lizenzdatei aufgeführt.
   *[other] Sie ist aus { $count } Open-Source-Bestandteilen gebaut, hier mit ihren Lizenzen und Lizenzdateien aufgeführt.
}
licenses-crate = Bestandteil
licenses-version = Version
licenses-licence = Lizenz
licenses-texts = Lizenztexte
err-body-timeout = Der Inhalt der Anfrage kam nicht rechtzeitig an.
err-invalid-query = Die Abfrageparameter konnten nicht gelesen werden: { $detail }
