//! Scripted agents for tests and benchmarks: what each stage's agent answers on a `MockProvider` (it writes its
//! deliverable through `write_file` and reports, or hands over its result), routed by the agent's name in the
//! system prompt.

use serde_json::json;
use slipway_llm::testing::{MockProvider, MockReply};

use crate::stages::Stage;

/// The calculator the development stage writes.
pub const CALC: &str = "def add(a, b):\n    return a + b\n";
/// Two tests, one of which fails.
pub const TESTS: &str = concat!(
    "import os\n",
    "import sys\n",
    "import unittest\n",
    "\n",
    "sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n",
    "from calc import add\n",
    "\n",
    "\n",
    "class CalcTest(unittest.TestCase):\n",
    "    def test_add(self):\n",
    "        self.assertEqual(add(2, 3), 5)\n",
    "\n",
    "    def test_wrong(self):\n",
    "        self.assertEqual(add(2, 2), 5)\n",
);
/// The command the testing stage hands over.
pub const TEST_COMMAND: &str = "python3 -m unittest discover -s tests -v";

/// A `write_file` call.
pub fn write(path: &str, content: &str) -> MockReply {
    MockReply::tool_call("write_file", json!({"path": path, "content": content}))
}

/// The script of one stage's agent: it writes its deliverable and reports (or hands over its result).
pub fn script(stage: Stage) -> Vec<MockReply> {
    match stage {
        Stage::RequirementsAnalysis => {
            vec![write("docs/SRS.md", "# SRS\nFR-1: add(a, b) returns a + b.\n"), MockReply::text("Wrote docs/SRS.md.")]
        }
        Stage::ArchitectureDesign => vec![
            write("docs/ARCHITECTURE.md", "# Architecture\ncalc.py: add().\n"),
            MockReply::text("Wrote docs/ARCHITECTURE.md."),
        ],
        Stage::UiDesign => vec![
            write("docs/UI_DESIGN.md", "# UI\nA Python function, no screens.\n"),
            MockReply::text("Wrote docs/UI_DESIGN.md."),
        ],
        Stage::Development => vec![write("calc.py", CALC), MockReply::text("Wrote calc.py.")],
        Stage::Testing => vec![
            write("tests/test_calc.py", TESTS),
            MockReply::tool_call(
                "submit_test_command",
                json!({"command": TEST_COMMAND, "framework": "unittest", "notes": "add()"}),
            ),
        ],
        Stage::QaReview => vec![
            MockReply::tool_call("read_file", json!({"path": "calc.py"})),
            MockReply::tool_call(
                "submit_review",
                json!({"score": 7.5, "approved": true, "summary": "Small and correct; one test is wrong.", "issues": ["tests/test_calc.py: test_wrong expects 5"]}),
            ),
        ],
        Stage::Completion => vec![
            write("README.md", "# Calc\nRun the tests with python3 -m unittest.\n"),
            MockReply::text("Wrote README.md."),
        ],
    }
}

/// Queues the scripts of `stages`, each for its own agent.
pub fn script_stages(mock: &MockProvider, stages: &[Stage]) {
    for s in stages {
        mock.push_all_for(agent_of(*s), script(*s));
    }
}

/// The needle that routes mock replies to `stage`'s agent.
pub fn agent_of(stage: Stage) -> String {
    format!("You are {},", stage.agent())
}
