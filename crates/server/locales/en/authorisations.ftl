## Authorisations.
authorisations-title = Authorisations
authorisation-edit-title = Edit authorisation
authorisations-hint = The authorisations you have given to other users of your company. Their access changes at once.
authorisations-add = Authorise a user
authorisations-no-systems = You can authorise others only for systems you own or administer; you have none yet.
authorisations-filter = User, role, system…
authorisations-delete-confirm = Delete the ticked authorisations? The users lose these roles at once.
authorisations-select = Select { $user } on { $system }
authorisations-none = No authorisations given yet.
authorisation-on = { $user } on { $system }
choose = Choose…
cancel = Cancel
authorisations-system-serial = System (serial number)
