## Monitoring.
monitoring-title = Monitoring › { $name }
monitoring-period = Zeitraum
monitoring-hour = Letzte Stunde
monitoring-day = Tag
monitoring-week = Woche
monitoring-month = Monat
monitoring-current = Aktuell
monitoring-minimum = Min.
monitoring-average = Mittel
monitoring-maximum = Max.
monitoring-no-sample = Aktueller Wert gemessen — (noch kein Messwert).
monitoring-measured = Aktueller Wert gemessen { $at }.
monitoring-cpu = CPU-Last
monitoring-memory = Speicher
monitoring-cpu-series = CPU-Last (%)
monitoring-memory-series = Belegter Arbeitsspeicher (%)
monitoring-no-data = Für diesen Zeitraum noch keine Daten
