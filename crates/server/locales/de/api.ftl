## Die Seite der API-Referenz.
api-heading = Zentrale REST-API v1
api-machine-readable = Maschinenlesbar (OpenAPI 3.1):
api-tokens-link = Konto › Persönliche API-Tokens
api-english = Die Referenz unten ist der Text des OpenAPI-Dokuments, auf Englisch. Fehlermeldungen der API folgen dem Accept-Language der Anfrage.
api-method = Methode
api-path = Pfad
api-what = Was sie tut
api-body = Inhalt
api-responses = Antworten
