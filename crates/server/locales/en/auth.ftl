## Login, second factor.
login-title = Log in
login-heading = Log in to Zentrale
login-email = E-mail address
login-password = Password
login-submit = Log in
login-or = or
login-sso = Sign in with single sign-on
login-wrong = E-mail address or password is wrong.
login-throttled = Too many failed logins. Try again after { $until }.
code-title = Authentication code
code-hint = Enter the 6-digit code your authenticator app shows for Zentrale.
code-label = Code
code-restart = Start again
code-throttled = Too many failed attempts. Try again after { $until }.
code-wrong = That code is wrong or was used already. Enter the current code from your app.
