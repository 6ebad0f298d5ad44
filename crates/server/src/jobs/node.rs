//! This node's name among several on one database.

/// This node's name: the configured one, else the one kept in the data directory
/// (`node-id`), else a fresh one for this process.
pub fn node_id(config: &crate::config::Config) -> String {
    if let Some(id) = &config.node_id {
        return id.trim().to_owned();
    }
    match std::fs::read_to_string(config.data_dir.join("node-id")) {
        Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => format!("node-{}", crate::ids::new_id()),
    }
}

/// Makes sure a serving node keeps its name across restarts (so that at start it marks
/// offline exactly the devices it held before): writes `node-id` into the data directory
/// at the first start, unless a name is configured.
pub fn keep_node_id(config: &crate::config::Config) {
    let file = config.data_dir.join("node-id");
    if config.node_id.is_some() || file.exists() {
        return;
    }
    let id = format!("node-{}", crate::ids::new_id());
    let kept = std::fs::create_dir_all(&config.data_dir).and_then(|()| std::fs::write(&file, id));
    if let Err(e) = kept {
        tracing::warn!(error = %e, file = %file.display(), "cannot keep the node's name; it changes at the next start");
    }
}
