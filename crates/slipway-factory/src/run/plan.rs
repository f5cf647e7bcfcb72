//! Which stages start when: the project's strategy applied to the stages done and the stages running.
//! `sequential` runs one stage at a time in document order; `adaptive` starts every stage whose inputs are
//! done (architecture_design and ui_design side by side); `parallel` lets the stages of `parallel_stages` run
//! side by side once their inputs are done and runs the others one at a time, in document order.

use std::collections::BTreeSet;

use crate::config::{ExecutionStrategy, ProjectConfig};
use crate::stages::Stage;

/// The order of a run's stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    strategy: ExecutionStrategy,
    group: Vec<Stage>,
}

impl Plan {
    /// The plan of a project's configuration.
    pub fn new(config: &ProjectConfig) -> Self {
        Self { strategy: config.execution_strategy, group: config.parallel() }
    }

    /// The stages that may start now, in document order, when `done` are finished and `running` run.
    pub fn ready(&self, done: &BTreeSet<Stage>, running: &BTreeSet<Stage>) -> Vec<Stage> {
        let inputs_done = |s: Stage| s.needs().iter().all(|n| done.contains(n));
        let mut pending = Stage::ALL.into_iter().filter(|s| !done.contains(s) && !running.contains(s));
        match self.strategy {
            ExecutionStrategy::Adaptive => pending.filter(|s| inputs_done(*s)).collect(),
            ExecutionStrategy::Sequential => match pending.next() {
                Some(s) if running.is_empty() && inputs_done(s) => vec![s],
                _ => Vec::new(),
            },
            ExecutionStrategy::Parallel => {
                let mut busy: Vec<Stage> = running.iter().copied().collect();
                let mut out = Vec::new();
                for s in pending {
                    let side_by_side = self.group.contains(&s) && busy.iter().all(|b| self.group.contains(b));
                    if !inputs_done(s) || !(busy.is_empty() || side_by_side) {
                        break;
                    }
                    busy.push(s);
                    out.push(s);
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stage::*;

    fn plan(strategy: ExecutionStrategy, group: &[Stage]) -> Plan {
        Plan { strategy, group: group.to_vec() }
    }

    fn set(stages: &[Stage]) -> BTreeSet<Stage> {
        stages.iter().copied().collect()
    }

    /// Runs a plan to the end, finishing the running stages one at a time (the earliest first); the waves of
    /// stages that were running together.
    fn waves(plan: &Plan, done: &[Stage]) -> Vec<Vec<Stage>> {
        let (mut done, mut running, mut out) = (set(done), BTreeSet::new(), Vec::new());
        loop {
            running.extend(plan.ready(&done, &running));
            let Some(first) = running.pop_first() else { return out };
            out.push(std::iter::once(first).chain(running.iter().copied()).collect());
            done.insert(first);
        }
    }

    #[test]
    fn sequential_runs_one_stage_at_a_time_in_document_order() {
        let p = plan(ExecutionStrategy::Sequential, &[]);
        let order: Vec<Stage> = waves(&p, &[]).into_iter().map(|w| w[0]).collect();
        assert_eq!(order, Stage::ALL);
        assert!(waves(&p, &[]).iter().all(|w| w.len() == 1));
        assert_eq!(p.ready(&set(&[RequirementsAnalysis]), &set(&[ArchitectureDesign])), []);
    }

    #[test]
    fn adaptive_runs_the_two_designs_side_by_side() {
        let p = plan(ExecutionStrategy::Adaptive, &[]);
        assert_eq!(p.ready(&set(&[]), &set(&[])), [RequirementsAnalysis]);
        assert_eq!(p.ready(&set(&[RequirementsAnalysis]), &set(&[])), [ArchitectureDesign, UiDesign]);
        assert_eq!(p.ready(&set(&[RequirementsAnalysis, ArchitectureDesign]), &set(&[UiDesign])), []);
        // A resumed run whose checkpoint has the architecture: the UI design, then the rest.
        let resumed = waves(&p, &[RequirementsAnalysis, ArchitectureDesign]);
        assert_eq!(resumed[0], [UiDesign]);
        assert_eq!(resumed.len(), 5);
    }

    #[test]
    fn parallel_runs_its_group_side_by_side_and_the_rest_in_order() {
        let p = plan(ExecutionStrategy::Parallel, &[ArchitectureDesign, UiDesign]);
        let w = waves(&p, &[]);
        assert_eq!(w[1], [ArchitectureDesign, UiDesign]);
        assert!(w.iter().enumerate().all(|(i, wave)| i == 1 || wave.len() == 1), "{w:?}");
        // A group of one changes nothing: document order, one at a time.
        let alone = plan(ExecutionStrategy::Parallel, &[UiDesign]);
        assert!(waves(&alone, &[]).iter().all(|wave| wave.len() == 1));
        assert_eq!(alone.ready(&set(&[RequirementsAnalysis]), &set(&[])), [ArchitectureDesign]);
        assert_eq!(alone.ready(&set(&[RequirementsAnalysis]), &set(&[ArchitectureDesign])), []);
    }
}
