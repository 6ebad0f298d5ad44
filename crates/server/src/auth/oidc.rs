//! Single sign-on with OpenID Connect: authorization code flow with PKCE and nonce, provider
//! discovery, ID token validation (signature, issuer, audience, expiry, nonce) against the
//! server's clock. Users are created at their first login and put into a company by the
//! configured rule (a claim, or the e-mail domain); the company must exist.

use crate::clock::Clock;
use crate::config::OidcConfig;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::users::store as users;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::OnceCell;

/// A pending login may take this long (provider login included).
const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

/// What discovery found; read once, at the first login.
#[derive(Clone)]
struct Discovered {
    metadata: CoreProviderMetadata,
    end_session: Option<String>,
}

/// Single sign-on state of a node.
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    discovered: OnceCell<Discovered>,
}

/// A finished single sign-on: who logs in, and the ID token.
pub struct SsoLogin {
    pub user_id: crate::ids::UserId,
    pub id_token: String,
}

fn sso_failed(why: impl std::fmt::Display) -> AppError {
    tracing::warn!(reason = %why, "single sign-on refused");
    AppError::Forbidden(crate::msg!("err-single-sign-failed-identity"))
}

impl Oidc {
    pub fn new(config: OidcConfig) -> AppResult<Self> {
        let http = reqwest::Client::builder()
            // No redirects: the provider's endpoints answer directly (prevents SSRF via redirects).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(AppError::internal)?;
        Ok(Oidc {
            config,
            http,
            discovered: OnceCell::new(),
        })
    }

    /// Reaches the provider's discovery document now (done again at the first login when
    /// it fails here): `Err` says why single sign-on cannot work yet.
    pub async fn check(&self) -> Result<(), String> {
        self.discovered().await.map(|_| ()).map_err(|e| match e {
            AppError::Internal(m) => m,
            other => other.to_string(),
        })
    }

    fn redirect_url(&self) -> String {
        format!(
            "{}/auth/oidc/callback",
            self.config.public_url.trim_end_matches('/')
        )
    }

    async fn discovered(&self) -> AppResult<&Discovered> {
        self.discovered
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer.clone())
                    .map_err(|e| AppError::Internal(format!("OIDC issuer URL: {e}")))?;
                let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| {
                        AppError::Internal(format!("OIDC discovery at {}: {e}", self.config.issuer))
                    })?;
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let body = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .map_err(AppError::internal)?
                    .bytes()
                    .await
                    .map_err(AppError::internal)?;
                let raw: serde_json::Value =
                    serde_json::from_slice(&body).map_err(AppError::internal)?;
                let end_session = raw["end_session_endpoint"].as_str().map(str::to_owned);
                Ok::<_, AppError>(Discovered {
                    metadata,
                    end_session,
                })
            })
            .await
    }

    async fn client(
        &self,
    ) -> AppResult<(
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        Discovered,
    )> {
        let d = self.discovered().await?.clone();
        let redirect = RedirectUrl::new(self.redirect_url())
            .map_err(|e| AppError::Internal(format!("OIDC redirect URL: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            d.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(redirect);
        Ok((client, d))
    }

    /// Where to send the browser to log in.
    pub async fn begin(&self, db: &Db, clock: &Clock) -> AppResult<String> {
        let (client, _) = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let now = clock.now_ms();
        sqlx::query("DELETE FROM oidc_logins WHERE created_at < $1")
            .bind(now - LOGIN_TTL_MS)
            .execute(&db.pool)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_logins (state, verifier, nonce, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(state.secret())
        .bind(verifier.secret())
        .bind(nonce.secret())
        .bind(now)
        .execute(&db.pool)
        .await?;
        Ok(url.to_string())
    }

    /// Completes a login: the user it logs in, and the ID token (kept with the session for
    /// logging out at the provider). The caller starts the session.
    pub async fn finish(
        &self,
        db: &Db,
        clock: &Clock,
        code: &str,
        state: &str,
    ) -> AppResult<SsoLogin> {
        // The state is single use: take it out before anything else.
        let row: Option<(String, String, i64)> =
            sqlx::query_as("SELECT verifier, nonce, created_at FROM oidc_logins WHERE state = $1")
                .bind(state)
                .fetch_optional(&db.pool)
                .await?;
        let deleted = sqlx::query("DELETE FROM oidc_logins WHERE state = $1")
            .bind(state)
            .execute(&db.pool)
            .await?;
        let Some((verifier, nonce, created)) = row.filter(|_| deleted.rows_affected() == 1) else {
            return Err(sso_failed("unknown or reused state"));
        };
        if clock.now_ms() - created > LOGIN_TTL_MS {
            return Err(sso_failed("login took too long"));
        }
        let (client, _) = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(sso_failed)?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(sso_failed)?;
        let id_token = token.id_token().ok_or_else(|| sso_failed("no ID token"))?;
        let verify_clock = clock.clone();
        let id_verifier = client.id_token_verifier().set_time_fn(move || {
            chrono::DateTime::from_timestamp_millis(verify_clock.now_ms()).unwrap_or_default()
        });
        let claims = id_token
            .claims(&id_verifier, &Nonce::new(nonce))
            .map_err(sso_failed)?;
        let subject = claims.subject().as_str().to_owned();
        let email = claims
            .email()
            .map(|e| e.as_str().to_lowercase())
            .ok_or_else(|| AppError::Forbidden(crate::msg!("err-identity-provider-did-not")))?;
        if claims.email_verified() == Some(false) {
            return Err(AppError::Forbidden(crate::msg!("err-e-mail-address-not")));
        }
        // Verified above; read the other claims (e.g. the company claim) from the payload.
        let raw = id_token.to_string();
        let payload: serde_json::Value = raw
            .split('.')
            .nth(1)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let verified = claims.email_verified() == Some(true);
        let user_id = self
            .user_for(db, clock, &subject, &email, verified, &payload)
            .await?;
        tracing::info!(user = %user_id, "login by single sign-on");
        Ok(SsoLogin {
            user_id,
            id_token: raw,
        })
    }

    /// The company name the configured rule gives for this login.
    fn company_name(&self, email: &str, claims: &serde_json::Value) -> Option<String> {
        if let Some(claim) = &self.config.company_claim {
            return claims[claim]
                .as_str()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty());
        }
        let domain = email.rsplit('@').next()?;
        self.config
            .domains
            .iter()
            .find(|(d, _)| d.eq_ignore_ascii_case(domain))
            .map(|(_, c)| c.clone())
    }

    async fn user_for(
        &self,
        db: &Db,
        clock: &Clock,
        subject: &str,
        email: &str,
        email_verified: bool,
        claims: &serde_json::Value,
    ) -> AppResult<crate::ids::UserId> {
        if let Some(u) = users::user_by_oidc_subject(db, subject).await? {
            if u.disabled_at.is_some() {
                return Err(AppError::Forbidden(crate::msg!(
                    "err-account-disabled-ask-platform"
                )));
            }
            return Ok(u.id);
        }
        let not_assigned = || {
            AppError::Forbidden(crate::msg!(
                "err-not-assigned-company-zentrale",
                email = email
            ))
        };
        let name = self.company_name(email, claims).ok_or_else(not_assigned)?;
        let company = crate::companies::store::by_name(db, &name)
            .await?
            .ok_or_else(not_assigned)?;
        if let Some(u) = users::user_by_email(db, email).await? {
            if u.company_id != company.id || u.oidc_subject.is_some() {
                return Err(AppError::Forbidden(crate::msg!(
                    "err-already-has-another-account",
                    email = email
                )));
            }
            // Linking takes over a local account: only with an address the provider verified.
            if !email_verified {
                return Err(AppError::Forbidden(crate::msg!(
                    "err-has-local-account-here",
                    email = email
                )));
            }
            users::set_oidc_subject(db, &u.id, subject).await?;
            return Ok(u.id);
        }
        let user = users::User {
            disabled_at: None,
            language: None,
            time_zone: None,
            id: crate::ids::UserId::random(),
            company_id: company.id,
            email: email.to_owned(),
            password_hash: None,
            created_at: clock.now_ms(),
            is_operator: 0,
            oidc_subject: Some(subject.to_owned()),
        };
        users::insert_user(db, &user).await?;
        tracing::info!(user = %user.id, "user created at first single sign-on");
        Ok(user.id)
    }

    /// Where to send the browser after our logout, to end the provider's session too.
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let d = self.discovered().await.ok()?;
        let mut url = url::Url::parse(d.end_session.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.config.client_id)
            .append_pair(
                "post_logout_redirect_uri",
                &format!("{}/login", self.config.public_url.trim_end_matches('/')),
            );
        Some(url.to_string())
    }
}
