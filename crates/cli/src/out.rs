//! Printing for long-running commands: a closed standard output or error (the reader went
//! away) must not end the program, so write errors are ignored here instead of panicking
//! as `println!` does.

/// Writes a line to standard output; a closed pipe is ignored.
#[macro_export]
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Writes a line to standard error; a closed pipe is ignored.
#[macro_export]
macro_rules! complain {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
