//! What each stage's agent is told: its role with the deliverable it writes (the system prompt, which names
//! the agent as the document does), and the task: the project's requirements, the deliverables of earlier
//! stages to read, the files the project had before this run (which it extends rather than starting over),
//! and the facts measured so far (test results, the review).

use slipway_agents::agent::AgentSpec;
use slipway_agents::workspace::FileEntry;
use slipway_store::factory::ProjectRecord;

use super::checkpoint::Checkpoint;
use super::{review, testing};
use crate::config::depends_on;
use crate::stages::Stage;

/// Files listed in a prompt at most.
const LISTED: usize = 200;

const COMMON: &str = "You are {agent}, one of seven agents that build a software project stage by stage \
(requirements_analysis, architecture_design, ui_design, development, testing, qa_review, completion) in one \
shared workspace. You work through your tools; paths are relative to the workspace root. Do the work by writing \
complete files with write_file, never by describing them, and leave no placeholders or TODOs. Read what earlier \
stages wrote before you start. When the workspace already holds this project's code or documents, extend and \
change them to meet the requirements instead of starting over, and keep what still applies. When you are done, \
answer with a short report of what you did and which files you created or changed.";

const COMMANDS: &str = " You may run shell commands in the workspace with run_command (no network access).";

/// The deliverable of each stage, as the task names it.
pub fn deliverable(stage: Stage) -> &'static str {
    match stage {
        Stage::RequirementsAnalysis => "docs/SRS.md, the software requirements specification",
        Stage::ArchitectureDesign => "docs/ARCHITECTURE.md, the architecture",
        Stage::UiDesign => "docs/UI_DESIGN.md, the user interface design",
        Stage::Development => "the project's source code, as real files in the source tree of docs/ARCHITECTURE.md",
        Stage::Testing => "automated tests, and the command that runs them (handed over through submit_test_command)",
        Stage::QaReview => "a scored review (handed over through submit_review; it is saved as docs/QA_REVIEW.md)",
        Stage::Completion => "README.md (DELIVERY.md is written from the run's facts)",
    }
}

/// The files a stage's deliverable usually lives in, read by later stages even when this run left them as
/// they were.
pub fn deliverable_paths(stage: Stage) -> &'static [&'static str] {
    match stage {
        Stage::RequirementsAnalysis => &["docs/SRS.md"],
        Stage::ArchitectureDesign => &["docs/ARCHITECTURE.md"],
        Stage::UiDesign => &["docs/UI_DESIGN.md"],
        Stage::QaReview => &[review::REPORT],
        Stage::Completion => &["README.md", super::completion::DELIVERY],
        Stage::Development | Stage::Testing => &[],
    }
}

fn role(stage: Stage) -> &'static str {
    match stage {
        Stage::RequirementsAnalysis => {
            "You are the requirements analyst. Write docs/SRS.md, the software requirements specification of the \
             project: purpose and scope, users and their roles, numbered functional requirements (FR-1, FR-2, …) \
             each with acceptance criteria, non-functional requirements (performance, security, usability), \
             constraints and assumptions, and open questions. If docs/SRS.md exists, revise it so that it covers \
             the current requirements."
        }
        Stage::ArchitectureDesign => {
            "You are the software architect. Read docs/SRS.md and write docs/ARCHITECTURE.md: the technology \
             stack with the reasons for it, the components and their responsibilities, the data model, the \
             interfaces (API endpoints or module functions with their inputs and outputs), the source tree (every \
             file development must create or change, with its purpose), and how the project is built, run and \
             tested. Keep it consistent with the code already in the workspace."
        }
        Stage::UiDesign => {
            "You are the UX/UI designer. Read docs/SRS.md and write docs/UI_DESIGN.md: the screens or views (for \
             an API or a command-line tool: the commands, requests and answers its users see), the navigation or \
             interaction flow, each screen's components and states (empty, loading, error), input validation and \
             its messages, and accessibility."
        }
        Stage::Development => {
            "You are the developer. Read docs/SRS.md, docs/ARCHITECTURE.md and docs/UI_DESIGN.md, then write the \
             real source code in the source tree the architecture gives: every module complete and working, the \
             dependency manifest (requirements.txt, package.json, go.mod, Cargo.toml …) and an entry point. Cover \
             every functional requirement. Do not write the tests: the test engineer does."
        }
        Stage::Testing => {
            "You are the test engineer. Read the requirements and the source code, then write automated tests \
             (under tests/, or where the language expects them) for the functional requirements, with a standard \
             test framework of the project's language. Then call submit_test_command once with the shell command \
             that runs all the tests from the workspace root (for example `python3 -m pytest -q` or \
             `python3 -m unittest discover -s tests -v`), the framework, and what the tests cover. The command is \
             run without network access, so it must not install anything."
        }
        Stage::QaReview => {
            "You are the quality expert. Read the requirements, the design documents, the code and the tests, and \
             weigh the test results given in the task. Judge correctness, completeness against docs/SRS.md, code \
             quality, security and test coverage. Then call submit_review once with a score from 0 to 10, whether \
             you approve the delivery, a one-paragraph summary and the concrete issues you found (file and \
             problem)."
        }
        Stage::Completion => {
            "You are the project manager. Write README.md for the delivered project: what it does, its features \
             (from docs/SRS.md), what it needs, how to install, configure, run and test it (the test command is in \
             the task), the project layout, and the known limitations from the quality review. DELIVERY.md, the \
             delivery summary, is written from the run's facts after you: do not write it."
        }
    }
}

/// The agent of `stage`: named as the document names it, with its role's instructions.
pub fn spec(stage: Stage, allow_commands: bool) -> AgentSpec {
    let mut instructions = format!("{}\n{}", role(stage), COMMON.replace("{agent}", stage.agent()));
    if allow_commands {
        instructions.push_str(COMMANDS);
        if stage == Stage::Testing {
            instructions.push_str(
                " Run the tests yourself first and fix the tests or the code until they pass; the command you hand \
                 over is run again afterwards to record the results.",
            );
        }
    }
    AgentSpec::new(stage.agent(), instructions)
}

/// Turns the agent of `stage` gets.
pub fn max_turns(stage: Stage) -> usize {
    match stage {
        Stage::Development => 40,
        Stage::Testing => 30,
        _ => 16,
    }
}

/// What the task of a stage's agent is built from.
pub struct Brief<'a> {
    /// The project.
    pub project: &'a ProjectRecord,
    /// Files the project had before this run that no stage of it wrote.
    pub existing: &'a [String],
}

/// The task of `stage`'s agent, with `done` the stages completed so far and `files` the workspace now.
pub fn prompt(stage: Stage, brief: &Brief<'_>, done: &Checkpoint, files: &[FileEntry]) -> String {
    let project = brief.project;
    let mut out = format!("Project: {}\n", project.name);
    if let Some(d) = project.description.as_deref().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!("Description: {d}\n"));
    }
    out.push_str(&format!("Requirements:\n{}\n\n", project.requirements.trim()));
    out.push_str(&format!(
        "Your stage: {} ({} of {}). Your deliverable: {}.\n",
        stage.name(),
        stage.index() + 1,
        Stage::ALL.len(),
        deliverable(stage)
    ));
    let present = |p: &str| files.iter().any(|f| f.path == p);
    let mut to_read: Vec<String> = Vec::new();
    for earlier in Stage::ALL.into_iter().filter(|s| depends_on(stage, *s) && done.has(*s)) {
        let written = done.result(earlier).map(|r| r.files.clone()).unwrap_or_default();
        let usual = deliverable_paths(earlier).iter().filter(|p| present(p)).map(|p| (*p).to_owned());
        for path in written.into_iter().chain(usual) {
            if !to_read.contains(&path) {
                to_read.push(path);
            }
        }
    }
    if !to_read.is_empty() {
        out.push_str(&format!("Read these deliverables of earlier stages first: {}.\n", to_read.join(", ")));
    }
    if !brief.existing.is_empty() {
        out.push_str(
            "\nThe project already had these files before this run (uploaded, or written by an earlier run). This \
             run extends that work: read what concerns your stage, change and add files to meet the current \
             requirements, and keep what still applies.\n",
        );
        push_list(&mut out, brief.existing.iter().map(String::as_str));
    }
    if matches!(stage, Stage::QaReview | Stage::Completion)
        && let Some(t) = done.result(Stage::Testing)
    {
        out.push_str(&format!("\nTest results: {}\n", testing::describe(&t.data)));
    }
    if stage == Stage::Completion
        && let Some(r) = done.result(Stage::QaReview)
    {
        out.push_str(&format!("Quality review: {}\n", review::describe(&r.data)));
    }
    out.push_str(&format!("\nFiles in the workspace now ({}):\n", files.len()));
    if files.is_empty() {
        out.push_str("  (none)\n");
    } else {
        let lines: Vec<String> = files.iter().map(|f| format!("{} ({} bytes)", f.path, f.size)).collect();
        push_list(&mut out, lines.iter().map(String::as_str));
    }
    out
}

fn push_list<'a>(out: &mut String, items: impl ExactSizeIterator<Item = &'a str>) {
    let count = items.len();
    for item in items.take(LISTED) {
        out.push_str(&format!("  - {item}\n"));
    }
    if count > LISTED {
        out.push_str(&format!("  … and {} more\n", count - LISTED));
    }
}
