//! Perfect21's workflow templates: phases of agents (parallel or in sequence, each parallel phase ending in a
//! sync point) with quality gates between phases. `quality_requirements` of a run set the gates' thresholds.

use serde::Serialize;
use serde_json::Value;
use slipway_core::Error;

use crate::gates::Gate;

/// The review score a workflow must reach unless the run asks for another.
pub const DEFAULT_REVIEW_SCORE: f64 = 7.0;
/// Coverage required when the run asks for a coverage gate without a number.
pub const DEFAULT_COVERAGE: f64 = 80.0;

/// Which gate follows a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateSlot {
    /// The test gates: tests pass, coverage, test duration (as required).
    Tests,
    /// The security scan.
    Security,
    /// The reviewer's score.
    Review,
}

/// One phase of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseTemplate {
    /// Its name, as Perfect21 shows it.
    pub name: &'static str,
    /// Its agents.
    pub agents: &'static [&'static str],
    /// Whether they work at once.
    pub parallel: bool,
    /// What it usually takes.
    pub estimated_time: &'static str,
    /// What the agents of the phase do.
    pub goal: &'static str,
    /// The gate checked after the phase, if any.
    pub gate: Option<GateSlot>,
}

/// A workflow template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowTemplate {
    /// `premium_quality`, `rapid_development`.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// What it usually takes in all.
    pub estimated_time: &'static str,
    /// Where it fits.
    pub recommended_for: &'static [&'static str],
    /// Its phases, in order.
    pub phases: &'static [PhaseTemplate],
}

impl WorkflowTemplate {
    /// Sync points: one after every parallel phase.
    pub fn sync_points(&self) -> usize {
        self.phases.iter().filter(|p| p.parallel).count()
    }

    /// Phases followed by a gate.
    pub fn quality_gates(&self) -> usize {
        self.phases.iter().filter(|p| p.gate.is_some()).count()
    }

    /// Minutes the phases usually take, summed from their estimates.
    pub fn estimated_minutes(&self) -> u32 {
        self.phases.iter().map(|p| p.estimated_time.trim_end_matches("分钟").parse::<u32>().unwrap_or(0)).sum()
    }
}

const PREMIUM: &[PhaseTemplate] = &[
    PhaseTemplate {
        name: "深度理解",
        agents: &["@project-manager", "@business-analyst", "@technical-writer"],
        parallel: true,
        estimated_time: "10分钟",
        goal: "Understand the task: requirements, user stories, acceptance criteria and a glossary.",
        gate: None,
    },
    PhaseTemplate {
        name: "架构设计",
        agents: &["@backend-architect", "@security-auditor"],
        parallel: false,
        estimated_time: "10分钟",
        goal: "Design the solution: components, data model, interfaces, security measures.",
        gate: None,
    },
    PhaseTemplate {
        name: "并行开发",
        agents: &["@backend-engineer", "@frontend-engineer", "@test-engineer"],
        parallel: true,
        estimated_time: "15分钟",
        goal: "Implement the design with code and automated tests.",
        gate: Some(GateSlot::Tests),
    },
    PhaseTemplate {
        name: "质量审查",
        agents: &["@code-reviewer", "@security-auditor"],
        parallel: true,
        estimated_time: "10分钟",
        goal: "Review and harden the implementation; remove secrets and dangerous code.",
        gate: Some(GateSlot::Security),
    },
    PhaseTemplate {
        name: "交付",
        agents: &["@technical-writer"],
        parallel: false,
        estimated_time: "5分钟",
        goal: "Document the result for its users and operators.",
        gate: Some(GateSlot::Review),
    },
];

const RAPID: &[PhaseTemplate] = &[
    PhaseTemplate {
        name: "快速理解",
        agents: &["@project-manager"],
        parallel: false,
        estimated_time: "5分钟",
        goal: "Pin down what to build and how to know it works.",
        gate: None,
    },
    PhaseTemplate {
        name: "开发与测试",
        agents: &["@fullstack-engineer", "@test-engineer"],
        parallel: true,
        estimated_time: "15分钟",
        goal: "Implement the task with tests.",
        gate: None,
    },
    PhaseTemplate {
        name: "交付",
        agents: &["@code-reviewer"],
        parallel: false,
        estimated_time: "5分钟",
        goal: "Check and finish the work.",
        gate: Some(GateSlot::Review),
    },
];

/// Every template.
pub const TEMPLATES: &[WorkflowTemplate] = &[
    WorkflowTemplate {
        name: "premium_quality",
        description: "质量优先工作流",
        estimated_time: "45-60分钟",
        recommended_for: &["生产级功能", "核心架构", "安全相关"],
        phases: PREMIUM,
    },
    WorkflowTemplate {
        name: "rapid_development",
        description: "快速开发工作流",
        estimated_time: "15-30分钟",
        recommended_for: &["Bug修复", "原型开发", "简单功能"],
        phases: RAPID,
    },
];

/// The template named `name`.
pub fn template(name: &str) -> Result<&'static WorkflowTemplate, Error> {
    TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        let known: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        Error::invalid_field(
            "template",
            "value_error",
            format!("unknown template {name:?}; known: {}", known.join(", ")),
        )
    })
}

/// The gates a slot stands for under the run's `quality_requirements`
/// (`code_coverage` percent, `performance_threshold` ms for the test run, `security_scan` on/off, `review_score`).
pub fn gates_for(slot: GateSlot, requirements: &Value) -> Vec<Gate> {
    match slot {
        GateSlot::Tests => {
            let mut gates = vec![Gate::TestsPass];
            if let Some(min) = requirements.get("code_coverage") {
                gates.push(Gate::CodeCoverage { min_percent: min.as_f64().unwrap_or(DEFAULT_COVERAGE) });
            }
            if let Some(max) = requirements.get("performance_threshold").and_then(Value::as_f64) {
                gates.push(Gate::TestDuration { max_ms: max });
            }
            gates
        }
        GateSlot::Security if requirements.get("security_scan").and_then(Value::as_bool) == Some(false) => vec![],
        GateSlot::Security => vec![Gate::SecurityScan],
        GateSlot::Review => vec![Gate::LlmReview {
            min_score: requirements.get("review_score").and_then(Value::as_f64).unwrap_or(DEFAULT_REVIEW_SCORE),
        }],
    }
}

/// Checks `quality_requirements`, naming the bad field.
pub fn validate_requirements(requirements: &Value) -> Result<(), Error> {
    let Some(map) = requirements.as_object() else {
        return if requirements.is_null() {
            Ok(())
        } else {
            Err(Error::invalid_field("quality_requirements", "type_error", "quality_requirements must be an object"))
        };
    };
    let number = |key: &str, max: f64| -> Result<(), Error> {
        match map.get(key) {
            None => Ok(()),
            Some(v) if v.as_f64().is_some_and(|n| (0.0..=max).contains(&n)) => Ok(()),
            Some(_) => Err(Error::invalid_field(
                &format!("quality_requirements.{key}"),
                "value_error",
                format!("{key} must be a number between 0 and {max}"),
            )),
        }
    };
    number("code_coverage", 100.0)?;
    number("performance_threshold", 86_400_000.0)?;
    number("review_score", 10.0)?;
    match map.get("security_scan") {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(Error::invalid_field(
            "quality_requirements.security_scan",
            "type_error",
            "security_scan must be true or false",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_match_the_documented_counts() {
        let premium = template("premium_quality").unwrap();
        assert_eq!((premium.phases.len(), premium.quality_gates(), premium.sync_points()), (5, 3, 3));
        let rapid = template("rapid_development").unwrap();
        assert_eq!((rapid.phases.len(), rapid.quality_gates()), (3, 1));
        assert_eq!(premium.estimated_minutes(), 50);
        assert!(template("nope").is_err());
    }

    #[test]
    fn requirements_become_thresholds() {
        let req = json!({"code_coverage": 90, "performance_threshold": 200, "security_scan": true});
        validate_requirements(&req).unwrap();
        assert_eq!(
            gates_for(GateSlot::Tests, &req),
            vec![Gate::TestsPass, Gate::CodeCoverage { min_percent: 90.0 }, Gate::TestDuration { max_ms: 200.0 }]
        );
        assert!(gates_for(GateSlot::Security, &json!({"security_scan": false})).is_empty());
        assert_eq!(gates_for(GateSlot::Review, &json!({})), vec![Gate::LlmReview { min_score: 7.0 }]);
        assert!(validate_requirements(&json!({"code_coverage": 120})).is_err());
        assert!(validate_requirements(&json!({"security_scan": "yes"})).is_err());
        assert!(validate_requirements(&json!(3)).is_err());
    }
}
