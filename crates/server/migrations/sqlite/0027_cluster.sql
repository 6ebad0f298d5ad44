-- A cluster of nodes (issue 16): each node's heartbeat, the address the others reach it at
-- and the secret they show it (tunnels relayed between nodes); the node holding a remote
-- session's tunnel; an index to find the PBXes of a node that died.
CREATE TABLE cluster_nodes (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    relay_secret TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);
ALTER TABLE remote_sessions ADD COLUMN tunnel_node TEXT;
CREATE INDEX systems_online_node ON systems (online_node) WHERE online_node IS NOT NULL;
