//! `zentrale company add` and `zentrale user add`: scripted account management.

use crate::serve::DbArgs;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
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
