## Zugriff: Ablehnungen nach Rolle.
refusal-owner = Nur der Eigentümer von „{ $name }“ (wer es angelegt hat) kann das tun.
refusal-manage = Dafür brauchen Sie die Rolle Administrator für „{ $name }“.
refusal-monitoring = Monitoring und Alarme von „{ $name }“ brauchen die Rolle Monitoring oder Administrator.
refusal-registrations = Sie haben keinen Zugriff auf „{ $name }“.
refusal-backup = Fernsicherungen von „{ $name }“ erfordern die Rolle Backup oder Administrator.
role-owner = Eigentümer
role-administrator = Administrator
role-monitoring = Monitoring
role-backup = Backup
role-call_data = Gesprächsdaten
roles = Rollen
refusal-call-data = Die Gesprächsdaten von „{ $name }“ erfordern die Rolle Gesprächsdaten oder Administrator.
refusal-remote-config = Die Fernkonfiguration von „{ $name }“ erfordert die Rolle Administrator.
