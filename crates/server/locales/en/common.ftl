## Layout, navigation, status pages and words shared by every page.
skip-to-content = Skip to content
nav-main = Main
nav-dashboard = Dashboard
nav-systems = Systems
nav-groups = User Groups
nav-authorisations = Authorisations
nav-admin-systems = Administration › Systems
nav-audit = Administration › Audit log
nav-operator = Operator › Companies
nav-operator-news = Operator › News
nav-api = API
nav-help = Help
nav-help-here = Help for this page
nav-logout = Log out
legal-privacy = Data protection
legal-terms = Terms of use
legal-licenses = Open-source licences

status-400 = Bad request
status-401 = Not logged in
status-403 = Forbidden
status-404 = Not found
status-405 = Method not allowed
status-408 = Timeout
status-409 = Conflict
status-413 = Too large
status-415 = Unsupported content
status-422 = Cannot be processed
status-429 = Too many requests
status-500 = Server error
status-503 = Unavailable
status-other = Error
error-back = Back to the previous page
error-login = Log in
error-to-systems = Go to the systems
error-reference = Reference for your administrator: { $id }

duration-days-hours = { $d } d { $h } h
duration-hours-minutes = { $h } h { $m } min
duration-minutes = { $m } min
duration-seconds = { $s } s

err-not-found = Not found.
err-internal = Something went wrong on the server; the details are in its log.
err-api-unauthenticated = Log in, or send a personal API token as `Authorization: Bearer …`.
err-invalid-json = The request could not be read: { $detail }

yes = yes
no = no
err-control-character = The field “{ $field }” contains a control character ({ $code }), which is not allowed. Remove it and try again.
err-body-too-large = The request body is too large.
err-cross-site = This request came from another site and was refused. Reload the page and try again.
err-token-outside-api = Personal API tokens are accepted under /api/v1 only; log in to use the web pages.
lang-name-en = English
lang-name-de = Deutsch
help-title = Online help
licenses-own = Zentrale { $version } is free software under the GNU Affero General Public License, version 3 or later; its own scripts and style sheets (app.js, app.css) are under the same licence.
licenses-intro = { $count ->
    [one] It is built from one open-source component, listed here with its licence and licence file.
   *[other] It is built from { $count } open-source components, listed here with their licences and licence files.
}
licenses-crate = Component
licenses-version = Version
licenses-licence = Licence
licenses-texts = Licence texts
err-body-timeout = The request body did not arrive in time.
err-invalid-query = The query parameters could not be read: { $detail }
