//! Rules of user groups. Who may do what:
//! - see: the owner, members, and (public groups) everyone in the company;
//! - configure (settings, members, systems, delete): the owner only;
//! - join: anyone in the company, public groups only, with the default role;
//! - leave: any member except the owner;
//! - add a system: the group's owner, and only systems they own or administer.

use super::store::{self, GroupRow, NewGroup};
use crate::access::{self, RoleSet};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::ids::new_id;
use crate::state::AppState;
use crate::users::store as users;

pub const MAX_NAME: usize = 64;
pub const MAX_DESCRIPTION: usize = 500;

/// Proof that the user owns the group, with the request's context for the audit log.
pub struct GroupOwner(GroupRow, Ctx);

impl GroupOwner {
    pub fn group(&self) -> &GroupRow {
        &self.0
    }

    /// Records a change of this group.
    async fn audit(&self, st: &AppState, ev: Event) -> AppResult<()> {
        let ev = ev.arg("group", self.0.name.clone());
        self.1.audit(st, ev).await
    }
}

fn may_see(g: &GroupRow, user: &CurrentUser) -> bool {
    g.company_id == user.company_id
        && (g.owner_id == user.id || g.is_public() || g.viewer_is_member())
}

/// A group the user may see, or NotFound.
pub async fn visible(st: &AppState, user: &CurrentUser, id: &str) -> AppResult<GroupRow> {
    store::by_id(&st.db, id, &user.id)
        .await?
        .filter(|g| may_see(g, user))
        .ok_or(AppError::NotFound)
}

/// The group if the user owns it; NotFound if they cannot see it, Forbidden otherwise.
pub async fn owned(st: &AppState, user: &Ctx, id: &str) -> AppResult<GroupOwner> {
    let g = visible(st, user, id).await?;
    if g.owner_id != user.id {
        return Err(AppError::Forbidden(crate::msg!(
            "err-only-owner-group-can",
            name = g.name
        )));
    }
    Ok(GroupOwner(g, user.clone()))
}

/// The group's owner capability when the user owns it; `None` when they only see it.
pub async fn owned_if(st: &AppState, user: &Ctx, id: &str) -> AppResult<Option<GroupOwner>> {
    match owned(st, user, id).await {
        Ok(cap) => Ok(Some(cap)),
        Err(AppError::Forbidden(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The one role of a group form (default role, member role).
pub fn parse_role(key: &str) -> AppResult<RoleSet> {
    let set = RoleSet::parse([key])?;
    if set.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-choose-role")));
    }
    Ok(set)
}

/// Checked settings of a group.
pub struct Settings {
    pub name: String,
    pub description: String,
    pub default_roles: RoleSet,
    pub public: bool,
}

impl Settings {
    pub fn parse(name: &str, description: &str, role: &str, public: bool) -> AppResult<Settings> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(AppError::BadRequest(crate::msg!(
                "err-group-name-needs-characters",
                max = MAX_NAME
            )));
        }
        let description = description.trim();
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(AppError::BadRequest(crate::msg!(
                "err-description-may-have-at",
                max = MAX_DESCRIPTION
            )));
        }
        if name
            .chars()
            .chain(description.chars())
            .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(AppError::BadRequest(crate::msg!(
                "err-name-description-may-not"
            )));
        }
        Ok(Settings {
            name: name.to_owned(),
            description: description.to_owned(),
            default_roles: parse_role(role)?,
            public,
        })
    }
}

fn name_taken(e: AppError, name: &str) -> AppError {
    match e {
        AppError::Conflict(_) => {
            AppError::Conflict(crate::msg!("err-company-has-group-named", name = name))
        }
        e => e,
    }
}

pub async fn create(st: &AppState, user: &Ctx, s: Settings) -> AppResult<String> {
    let id = new_id();
    store::insert(
        &st.db,
        &NewGroup {
            id: &id,
            company_id: &user.company_id,
            owner_id: &user.id,
            name: &s.name,
            description: &s.description,
            default_roles: s.default_roles.bits(),
            public: s.public,
            now: st.clock.now_ms(),
        },
    )
    .await
    .map_err(|e| name_taken(e, &s.name))?;
    let ev = Event::new("group.created")
        .arg("group", s.name.clone())
        .arg("public", s.public);
    user.audit(st, ev).await?;
    Ok(id)
}

pub async fn update(st: &AppState, cap: &GroupOwner, s: Settings) -> AppResult<()> {
    store::update(
        &st.db,
        &cap.group().id,
        &s.name,
        &s.description,
        s.default_roles.bits(),
        s.public,
    )
    .await
    .map_err(|e| name_taken(e, &s.name))?;
    cap.audit(st, Event::new("group.changed").arg("to", s.name.clone()))
        .await
}

/// Deletes groups the user owns: all or none. Members lose the group's roles at once.
pub async fn delete(st: &AppState, user: &Ctx, ids: &[String]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-tick-at-least-one-3")));
    }
    let mut caps = Vec::new();
    for id in ids {
        caps.push(owned(st, user, id).await?);
    }
    for cap in caps {
        store::delete(&st.db, &cap.group().id).await?;
        cap.audit(st, Event::new("group.deleted")).await?;
    }
    Ok(())
}

pub async fn join(st: &AppState, user: &Ctx, id: &str) -> AppResult<()> {
    let g = visible(st, user, id).await?;
    if g.viewer_is_member() {
        return Err(AppError::Conflict(crate::msg!(
            "err-are-member-already",
            name = g.name
        )));
    }
    if g.public != 1 {
        return Err(AppError::Forbidden(crate::msg!(
            "err-private-only-its-owner",
            name = g.name
        )));
    }
    store::add_member(&st.db, &g.id, &user.id, g.default_roles, st.clock.now_ms()).await?;
    user.audit(st, Event::new("group.joined").arg("group", g.name))
        .await
}

pub async fn leave(st: &AppState, user: &Ctx, id: &str) -> AppResult<()> {
    let g = visible(st, user, id).await?;
    if g.owner_id == user.id {
        return Err(AppError::Conflict(crate::msg!(
            "err-own-delete-group-instead",
            name = g.name
        )));
    }
    if store::remove_member(&st.db, &g.id, &user.id).await? == 0 {
        return Err(AppError::Conflict(crate::msg!(
            "err-are-not-member",
            name = g.name
        )));
    }
    user.audit(st, Event::new("group.left").arg("group", g.name))
        .await
}

/// Adds a user of the company; `role` empty means the group's default role.
pub async fn add_member(st: &AppState, cap: &GroupOwner, email: &str, role: &str) -> AppResult<()> {
    let g = cap.group();
    let email = email.trim().to_lowercase();
    let member = users::user_by_email(&st.db, &email)
        .await?
        .filter(|u| u.company_id == g.company_id)
        .ok_or_else(|| AppError::BadRequest(crate::msg!("err-no-user-company", email = email)))?;
    let roles = if role.trim().is_empty() {
        RoleSet::from_bits(g.default_roles)
    } else {
        parse_role(role)?
    };
    store::add_member(&st.db, &g.id, &member.id, roles.bits(), st.clock.now_ms())
        .await
        .map_err(|e| match e {
            AppError::Conflict(_) => {
                AppError::Conflict(crate::msg!("err-member-already", email = email))
            }
            e => e,
        })?;
    let ev = Event::new("group.member_added")
        .arg("user", email)
        .arg("roles", roles.bits());
    cap.audit(st, ev).await
}

pub async fn set_member_role(
    st: &AppState,
    cap: &GroupOwner,
    user_id: &str,
    role: &str,
) -> AppResult<()> {
    let roles = parse_role(role)?;
    if store::set_member_roles(&st.db, &cap.group().id, user_id, roles.bits()).await? == 0 {
        return Err(AppError::NotFound);
    }
    let ev = Event::new("group.member_role_set")
        .arg("user_id", user_id)
        .arg("roles", roles.bits());
    cap.audit(st, ev).await
}

pub async fn remove_members(st: &AppState, cap: &GroupOwner, user_ids: &[String]) -> AppResult<()> {
    if user_ids.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-tick-at-least-one-4")));
    }
    if user_ids.iter().any(|u| *u == cap.group().owner_id) {
        return Err(AppError::Conflict(crate::msg!(
            "err-owner-stays-member-their"
        )));
    }
    for u in user_ids {
        if store::remove_member(&st.db, &cap.group().id, u).await? > 0 {
            cap.audit(
                st,
                Event::new("group.member_removed").arg("user_id", u.as_str()),
            )
            .await?;
        }
    }
    Ok(())
}

/// Adds a system the user owns or administers.
pub async fn add_system(
    st: &AppState,
    user: &CurrentUser,
    cap: &GroupOwner,
    system_id: &str,
) -> AppResult<()> {
    let sys = access::system(st, user, &SystemId::from_text(system_id)).await?;
    let name = sys.system().name.clone();
    let manager = sys.manager().map_err(|_| {
        AppError::Forbidden(crate::msg!(
            "err-only-owners-administrators-can",
            name = name
        ))
    })?;
    store::add_system(
        &st.db,
        &cap.group().id,
        &manager,
        &user.id,
        st.clock.now_ms(),
    )
    .await
    .map_err(|e| match e {
        AppError::Conflict(_) => AppError::Conflict(crate::msg!("err-group-already", name = name)),
        e => e,
    })?;
    let ev = Event::new("group.system_added")
        .system(system_id)
        .arg("name", name);
    cap.audit(st, ev).await
}

pub async fn remove_systems(
    st: &AppState,
    cap: &GroupOwner,
    system_ids: &[String],
) -> AppResult<()> {
    if system_ids.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-tick-at-least-one-5")));
    }
    for s in system_ids {
        if store::remove_system(&st.db, &cap.group().id, s).await? > 0 {
            cap.audit(st, Event::new("group.system_removed").system(s))
                .await?;
        }
    }
    Ok(())
}
