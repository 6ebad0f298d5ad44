## Neuigkeiten.
news-admin-title = Betreiber › Neuigkeiten
news-admin-hint = Neuigkeiten für jeden Benutzer dieser Installation, auf seinem Dashboard mit der neuesten zuerst. Markdown ist erlaubt; Unsicheres wird entfernt.
news-write = Neuigkeit schreiben
news-title = Titel
news-body = Text (Markdown)
news-publish-at = Veröffentlichen am (leer = jetzt, in Ihrer Zeitzone)
news-languages = Angezeigt für Leser in
news-publish = Veröffentlichen
news-delete-confirm = Die Neuigkeit „{ $title }“ löschen?
news-none = Noch keine Neuigkeiten.
news-heading = Neuigkeiten
news-new = Neu
news-nothing = Keine Neuigkeiten.
err-news-title = Ein Titel braucht 1 bis { $max } Zeichen.
err-news-body = Der Text darf höchstens { $max } Zeichen haben.
err-news-languages = Wählen Sie mindestens eine Sprache.
err-news-time = „{ $value }“ ist keine Zeit: Wählen Sie Datum und Uhrzeit, oder lassen Sie das Feld für jetzt leer.
