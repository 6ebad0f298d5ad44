## Anmeldung, zweiter Faktor.
login-title = Anmelden
login-heading = Bei Zentrale anmelden
login-email = E-Mail-Adresse
login-password = Passwort
login-submit = Anmelden
login-or = oder
login-sso = Mit Single Sign-on anmelden
login-wrong = E-Mail-Adresse oder Passwort ist falsch.
login-throttled = Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es nach { $until } erneut.
code-title = Authentifizierungscode
code-hint = Geben Sie den 6-stelligen Code ein, den Ihre Authenticator-App für Zentrale anzeigt.
code-label = Code
code-restart = Neu beginnen
code-throttled = Zu viele fehlgeschlagene Versuche. Versuchen Sie es nach { $until } erneut.
code-wrong = Der Code ist falsch oder wurde schon verwendet. Geben Sie den aktuellen Code aus Ihrer App ein.
