//! What a git-flow operation or a hook installation answers: Perfect21's `{success, output, error}`.

/// The result of an operation that ran: it succeeded with its output, or failed with its output so far and why.
/// Input that could not be run at all is an `Err` of the service instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether it did what was asked.
    pub success: bool,
    /// What was done, as git-flow would print it, with git's own output.
    pub output: String,
    /// Why it failed.
    pub error: Option<String>,
}

impl Outcome {
    /// A success.
    pub fn ok(output: impl Into<String>) -> Self {
        Self { success: true, output: output.into(), error: None }
    }

    /// A failure with the output so far.
    pub fn failed(output: impl Into<String>, error: impl Into<String>) -> Self {
        Self { success: false, output: output.into(), error: Some(error.into()) }
    }
}
