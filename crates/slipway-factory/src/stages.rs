//! The seven stages of a project run (appendix B): each one agent, its deliverable, the category its files
//! get, and the stages whose deliverables it reads (which decides what may run side by side).

/// One stage of a project run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// An SRS document from the requirements.
    RequirementsAnalysis,
    /// The architecture.
    ArchitectureDesign,
    /// The user interface design.
    UiDesign,
    /// The source code.
    Development,
    /// Tests, written and run.
    Testing,
    /// A scored review.
    QaReview,
    /// A delivery summary and the README.
    Completion,
}

impl Stage {
    /// Every stage in the document's order.
    pub const ALL: [Self; 7] = [
        Self::RequirementsAnalysis,
        Self::ArchitectureDesign,
        Self::UiDesign,
        Self::Development,
        Self::Testing,
        Self::QaReview,
        Self::Completion,
    ];

    /// The stage's name (`requirements_analysis` …).
    pub fn name(self) -> &'static str {
        match self {
            Self::RequirementsAnalysis => "requirements_analysis",
            Self::ArchitectureDesign => "architecture_design",
            Self::UiDesign => "ui_design",
            Self::Development => "development",
            Self::Testing => "testing",
            Self::QaReview => "qa_review",
            Self::Completion => "completion",
        }
    }

    /// The stage named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The agent that works the stage, as the document names it.
    pub fn agent(self) -> &'static str {
        match self {
            Self::RequirementsAnalysis => "RequirementsAnalystAgent",
            Self::ArchitectureDesign => "ArchitectAgent",
            Self::UiDesign => "UXUIDesignerAgent",
            Self::Development => "DeveloperAgent",
            Self::Testing => "TestEngineerAgent",
            Self::QaReview => "QualityExpertAgent",
            Self::Completion => "ProjectManagerAgent",
        }
    }

    /// The category of the files the stage writes.
    pub fn category(self) -> &'static str {
        match self {
            Self::RequirementsAnalysis => "requirements",
            Self::ArchitectureDesign | Self::UiDesign => "design",
            Self::Development => "code",
            Self::Testing => "test",
            Self::QaReview | Self::Completion => "documentation",
        }
    }

    /// The stages whose deliverables this one reads; it starts only after them.
    pub fn needs(self) -> &'static [Stage] {
        match self {
            Self::RequirementsAnalysis => &[],
            Self::ArchitectureDesign | Self::UiDesign => &[Self::RequirementsAnalysis],
            Self::Development => &[Self::ArchitectureDesign, Self::UiDesign],
            Self::Testing => &[Self::Development],
            Self::QaReview => &[Self::Testing],
            Self::Completion => &[Self::QaReview],
        }
    }

    /// Its position in [`Stage::ALL`], from 0.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The stage of an agent named as the document names agents.
pub fn stage_of_agent(agent: &str) -> Option<Stage> {
    Stage::ALL.into_iter().find(|s| s.agent() == agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_needs_come_earlier() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.name()), Some(s));
            assert_eq!(stage_of_agent(s.agent()), Some(s));
            assert!(s.needs().iter().all(|n| n.index() < s.index()), "{s}");
        }
        assert_eq!(Stage::parse("deploy"), None);
    }
}
