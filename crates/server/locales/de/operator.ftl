## Seiten des Plattformbetreibers.
operator-title = Betreiber › Firmen
operator-hint = Firmen (Mandanten) dieser Installation. Als Betreiber verwalten Sie sie; deren Systeme sehen Sie nur, wenn Sie Mitglied sind.
operator-add-company = Firma anlegen
operator-company = Firma
operator-first-email = E-Mail-Adresse des ersten Benutzers
operator-initial-password = Anfangspasswort
operator-disable-enable = Konto sperren oder freigeben
operator-disable-confirm = Dieses Konto sperren? Seine Sitzungen und persönlichen API-Tokens enden sofort.
operator-disable = Sperren
operator-enable = Freigeben
operator-disable-hint = Ein gesperrtes Konto kann sich nicht anmelden; seine Sitzungen und persönlichen API-Tokens enden sofort und kommen bei einer Freigabe nicht zurück.
operator-filter = Firmenname…
