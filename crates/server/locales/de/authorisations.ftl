## Berechtigungen.
authorisations-title = Berechtigungen
authorisation-edit-title = Berechtigung bearbeiten
authorisations-hint = Die Berechtigungen, die Sie anderen Benutzern Ihrer Firma gegeben haben. Deren Zugriff ändert sich sofort.
authorisations-add = Benutzer berechtigen
authorisations-no-systems = Sie können andere nur für Systeme berechtigen, deren Eigentümer oder Administrator Sie sind; Sie haben noch keines.
authorisations-filter = Benutzer, Rolle, System…
authorisations-delete-confirm = Die markierten Berechtigungen löschen? Die Benutzer verlieren diese Rollen sofort.
authorisations-select = { $user } für { $system } auswählen
authorisations-none = Noch keine Berechtigungen vergeben.
authorisation-on = { $user } für { $system }
choose = Auswählen…
cancel = Abbrechen
authorisations-system-serial = System (Seriennummer)
