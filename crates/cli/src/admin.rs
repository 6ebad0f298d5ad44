//! `zentrale company add` and `zentrale user add`: scripted account management.

use crate::serve::DbArgs;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use zentrale_server::audit::chain::Verdict;
use zentrale_server::audit::{Actor, Event};
use zentrale_server::db::Db;
use zentrale_server::{AppState, Clock};

#[derive(Args)]
pub struct CompanyArgs {
    #[command(subcommand)]
    cmd: CompanyCmd,
}

#[derive(Subcommand)]
enum CompanyCmd {
    /// Add a company (tenant).
    Add {
        /// The company's name, unique in this installation.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Args)]
pub struct UserArgs {
    #[command(subcommand)]
    cmd: UserCmd,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a local account; the password is read from standard input (one line).
    Add {
        /// Name of the user's company.
        #[arg(long)]
        company: String,
        /// The user's e-mail address (the login name).
        #[arg(long)]
        email: String,
        /// Make the user a platform operator (manages companies; sees no company's data).
        #[arg(long)]
        operator: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Records what the command line did in the audit log.
async fn cli_audit(st: &AppState, ev: Event) -> anyhow::Result<()> {
    let meta = zentrale_server::context::ReqMeta::background();
    zentrale_server::audit::record(&st.db, &Actor::Cli, &meta, st.clock.now_ms(), ev).await?;
    Ok(())
}

#[derive(Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    cmd: AuditCmd,
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the audit log's hash chain; exit 1 and name the first broken entry if any.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `zentrale audit verify`: 0 when the chain holds, 1 (with the first broken link) when not.
pub async fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.cmd {
        AuditCmd::Verify { db } => {
            let st = state(&db).await?;
            match zentrale_server::audit::store::verify(&st.db).await? {
                Verdict::Intact {
                    entries,
                    first,
                    last,
                } => {
                    if entries == 0 {
                        crate::say!("audit log intact: no entries yet");
                    } else {
                        crate::say!(
                            "audit log intact: {entries} entries, {first} to {last}, every link holds"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken { seq, why } => {
                    crate::complain!("audit log BROKEN at entry {seq}: {why}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

async fn state(db: &DbArgs) -> anyhow::Result<AppState> {
    let config = db.config();
    let pool = Db::connect(&config.database_url()).await?;
    Ok(AppState::new(pool, config, Clock::System))
}

pub async fn company(args: CompanyArgs) -> anyhow::Result<()> {
    match args.cmd {
        CompanyCmd::Add { name, db } => {
            let st = state(&db).await?;
            let c = zentrale_server::companies::service::add(&st, &name).await?;
            let ev = Event::new("company.created")
                .company(&c.id)
                .arg("name", c.name.clone());
            cli_audit(&st, ev).await?;
            crate::say!("company '{}' added (id {})", c.name, c.id);
        }
    }
    Ok(())
}

pub async fn user(args: UserArgs) -> anyhow::Result<()> {
    match args.cmd {
        UserCmd::Add {
            company,
            email,
            operator,
            db,
        } => {
            let password = read_password()?;
            let st = state(&db).await?;
            let u =
                zentrale_server::users::service::add_user(&st, &company, &email, &password).await?;
            if operator {
                zentrale_server::users::store::set_operator(&st.db, &u.id, true).await?;
            }
            let ev = Event::new("user.created")
                .company(&u.company_id)
                .arg("user", u.email.clone())
                .arg("operator", operator);
            cli_audit(&st, ev).await?;
            let role = if operator {
                " as platform operator"
            } else {
                ""
            };
            crate::say!("user {} added to '{}'{role}", u.email, company.trim());
        }
    }
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Password (at least {} characters): ",
            zentrale_server::auth::password::MIN_LEN
        );
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !pw.is_empty(),
        "no password on standard input: pipe it in, e.g. `echo 'secret…' | zentrale user add …`"
    );
    Ok(pw)
}
