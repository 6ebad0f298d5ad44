## Access: refusals by role.
refusal-owner = Only the owner of '{ $name }' (who added it) can do this.
refusal-manage = You need the Administrator role on '{ $name }' for this.
refusal-monitoring = Monitoring and alerts of '{ $name }' need the Monitoring or Administrator role.
refusal-registrations = You have no access to '{ $name }'.
refusal-backup = Remote backups of '{ $name }' need the Backup or Administrator role.
role-owner = Owner
role-administrator = Administrator
role-monitoring = Monitoring
role-backup = Backup
role-call_data = Call data
roles = Roles
refusal-call-data = The call data of '{ $name }' need the Call data or Administrator role.
refusal-remote-config = Remote configuration of '{ $name }' needs the Administrator role.
