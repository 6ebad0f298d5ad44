//! Test hook: `ZENTRALE_TEST_ABORT_BEFORE_COMMIT=<kind>` makes the process die where a crash
//! hurts most, after a success of that kind is applied and before it is committed (the CLI
//! tests check that nothing is lost or stored twice then).

pub fn abort_for_test(kind: &str) {
    if std::env::var("ZENTRALE_TEST_ABORT_BEFORE_COMMIT").is_ok_and(|k| k == kind) {
        tracing::error!(
            kind,
            "aborting before the commit, as ZENTRALE_TEST_ABORT_BEFORE_COMMIT asks"
        );
        std::process::abort();
    }
}
