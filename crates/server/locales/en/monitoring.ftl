## Monitoring.
monitoring-title = Monitoring › { $name }
monitoring-period = Period
monitoring-hour = Last hour
monitoring-day = Day
monitoring-week = Week
monitoring-month = Month
monitoring-current = Current
monitoring-minimum = Minimum
monitoring-average = Average
monitoring-maximum = Maximum
monitoring-no-sample = Current value measured — (no sample yet).
monitoring-measured = Current value measured { $at }.
monitoring-cpu = CPU load
monitoring-memory = Memory
monitoring-cpu-series = CPU load (%)
monitoring-memory-series = Memory in use (%)
monitoring-no-data = No data for this period yet
