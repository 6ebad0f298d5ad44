## Call data: the list, retrieval, export with the legal notes, privacy.
calls = Call data
calls-title = Call data of { $name }
calls-all-title = Call data of all systems
tab-calls = Call data
calls-intro = The calls the PBX recorded, as it reported them (times as the PBX's clock gave them). The list is filtered by the entered value.
calls-never-retrieved = No call data retrieved yet.
calls-retrieved-at = Last retrieved { $time }
calls-records-stored = { $count ->
    [one] { $count } record stored
   *[other] { $count } records stored
}
calls-schedule-hint = New records are retrieved every 15 minutes while the PBX is online, or now with the button.
calls-retrieve-now = Retrieve now
calls-retrieve-started = Retrieval started: new records appear when the PBX has sent them.
calls-retrieve-running = A retrieval of this PBX's call data is running already.
calls-retrieve-all = Retrieve now from all systems
calls-retrieve-all-started = { $count ->
    [one] Retrieval started for { $count } system. New records appear when the PBXes have sent them.
   *[other] Retrieval started for { $count } systems. New records appear when the PBXes have sent them.
}
calls-retrieve-all-busy = { $count ->
    [one] { $count } system was retrieving already.
   *[other] { $count } systems were retrieving already.
}
calls-left-out = { $count ->
    [one] { $count } system is not listed: its call data need the Call data role and active maintenance.
   *[other] { $count } systems are not listed: their call data need the Call data role and active maintenance.
}
calls-filter-text = Filter
calls-filter-from = From
calls-filter-to = To
calls-filter-direction = Kind of call
calls-any = All
calls-direction-incoming = Incoming
calls-direction-outgoing = Outgoing
calls-direction-group = Incoming to a group
calls-direction-call-through = Call Through
calls-direction-door = Door to external
calls-col-time = Date / time
calls-col-duration = Duration
calls-col-partner = External partner
calls-col-partner-name = External name
calls-col-invoice-no = No. invoice
calls-col-invoice-name = Name invoice
calls-col-real-name = Name real
calls-col-connection = Connection
calls-col-billing = Type of billing
calls-col-call-type = Call type
calls-successful = successful
calls-unsuccessful = unsuccessful
calls-none = No calls match.
calls-masked-hint = External numbers are shown with their last digits hidden (company setting); the filter does not look into them.
calls-export = Export
calls-export-hint = The current data in the table (filter and order applied) as gespr_dat.csv: UTF-8, cells separated by semicolons, as spreadsheets with German settings open it.
calls-export-button = Export gespr_dat.csv
calls-export-comma = with commas instead
calls-legal-title = Legal notes on call data
calls-legal-important = Important: note the following legal notes before saving the call data.
calls-legal-components = The call data includes, amongst others, the following legally especially protected components:
calls-legal-time = The time of a call
calls-legal-numbers = The phone numbers of the internal and external participants.
calls-legal-duration = The duration of a call
calls-legal-inform = Before the call data are being saved, all users of the PBX must be informed that these contents will be forwarded and about who will use the data received.
calls-legal-store = It is essential to store the data securely and in accordance with the legal requirements.
calls-legal-dealer = If you want to make the call data available to your specialised dealer or to the manufacturer for error analysis, you must make sure that the legal requirements are fulfilled.
calls-legal-confirm = I have read the legal notes and observe them.
calls-legal-download = Confirm and download
calls-legal-last = You last confirmed them { $time }; a confirmation holds for 90 days.
calls-legal-not-ticked = Tick the box to confirm the legal notes.
calls-legal-api = Exporting call data needs the legal notes on call data confirmed: add confirm_legal_notice=true once you know and observe them.
calls-privacy = Privacy of call data
calls-privacy-hint = For all systems of your company: records older than the retention period are deleted (0: kept), and the last digits of external numbers can be hidden in the list, the API and the export (0: shown whole).
calls-retention-days = Keep records for (days)
calls-mask-digits = Hide last digits of external numbers
calls-privacy-saved = The privacy settings were saved.
calls-privacy-admin-only = Only an administrator of one of your company's systems can change these settings.
calls-bad-retention = The retention period must be between 0 and 3650 days.
calls-bad-mask = Between 0 and 8 digits can be hidden.
calls-bad-number = '{ $value }' is not a number.
calls-bad-date = '{ $value }' is not a date (YYYY-MM-DD).
calls-text-too-long = The filter text can be at most 100 characters long.
cmd-kind-calls-retrieve = Retrieve call data
cmd-step-calls-collect = Collecting the call records
cmd-step-calls-upload = Uploading the call records
cmd-step-calls-done = Done
cmd-result-records = { $count ->
    [one] { $count } record
   *[other] { $count } records
}
cmd-error-batch-refused = The control center refused the records the PBX sent (line { $line }: { $reason }). Nothing of them was stored; the next retrieval asks again.
audit-calls-exported = Call data exported
audit-calls-legal-confirmed = Legal notes on call data confirmed
audit-calls-privacy-changed = Privacy of call data changed
