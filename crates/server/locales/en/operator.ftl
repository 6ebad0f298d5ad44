## The platform operator's pages.
operator-title = Operator › Companies
operator-hint = Companies (tenants) of this installation. As operator you manage them; you see none of their systems unless you are a member.
operator-add-company = Add company
operator-company = Company
operator-first-email = First user's e-mail
operator-initial-password = Initial password
operator-disable-enable = Disable or enable an account
operator-disable-confirm = Disable this account? Its sessions and personal API tokens end at once.
operator-disable = Disable
operator-enable = Enable
operator-disable-hint = A disabled account cannot log in; its sessions and personal API tokens end at once and do not come back when it is enabled again.
operator-filter = Company name…
