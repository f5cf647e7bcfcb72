//! The alert state machine, pure: a rule's condition must hold for its whole duration before an alert opens
//! (sustained), and an open alert resolves only once the value is beyond a hysteresis band — 5 points below
//! (or above) a percentage threshold, 5 % of a load threshold, no failure at all for `unreachable` — for one
//! full duration again. A value inside the band changes nothing, so a value hovering at the threshold neither
//! flaps nor clears. A tick without a value (a failed collection for a metric rule) holds the state.

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMetric {
    /// CPU busy, percent.
    Cpu,
    /// Memory in use, percent.
    Memory,
    /// Disk space used, percent.
    Disk,
    /// Load average over one minute.
    Load,
    /// Failed collections in a row.
    Unreachable,
}

impl RuleMetric {
    /// Every metric's name.
    pub const NAMES: [&'static str; 5] = ["cpu", "memory", "disk", "load", "unreachable"];

    /// The metric named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "cpu" => Self::Cpu,
            "memory" => Self::Memory,
            "disk" => Self::Disk,
            "load" => Self::Load,
            "unreachable" => Self::Unreachable,
            _ => return None,
        })
    }

    /// The metric's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Disk => "disk",
            Self::Load => "load",
            Self::Unreachable => "unreachable",
        }
    }
}

/// How the value is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Above.
    Gt,
    /// At or above.
    Ge,
    /// Below.
    Lt,
    /// At or below.
    Le,
}

impl Comparison {
    /// Every comparison's symbol.
    pub const SYMBOLS: [&'static str; 4] = [">", ">=", "<", "<="];

    /// The comparison written `symbol`.
    pub fn parse(symbol: &str) -> Option<Self> {
        Some(match symbol {
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "<" => Self::Lt,
            "<=" => Self::Le,
            _ => return None,
        })
    }

    /// The comparison's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
        }
    }

    fn upward(self) -> bool {
        matches!(self, Self::Gt | Self::Ge)
    }
}

/// A rule's condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    /// What it watches.
    pub metric: RuleMetric,
    /// How it compares.
    pub comparison: Comparison,
    /// With what.
    pub threshold: f64,
    /// How long the condition (or its clearing) must hold, ms.
    pub duration_ms: i64,
}

/// Hysteresis for percentages, in points.
const PERCENT_BAND: f64 = 5.0;

impl Condition {
    /// Whether `value` meets the condition.
    pub fn breached(&self, value: f64) -> bool {
        if self.metric == RuleMetric::Unreachable {
            return value >= self.threshold.max(1.0);
        }
        match self.comparison {
            Comparison::Gt => value > self.threshold,
            Comparison::Ge => value >= self.threshold,
            Comparison::Lt => value < self.threshold,
            Comparison::Le => value <= self.threshold,
        }
    }

    /// Whether `value` is clear of the condition by the hysteresis band.
    pub fn cleared(&self, value: f64) -> bool {
        let band = match self.metric {
            RuleMetric::Unreachable => return value < 1.0,
            RuleMetric::Load => (self.threshold.abs() * 0.05).max(0.05),
            RuleMetric::Cpu | RuleMetric::Memory | RuleMetric::Disk => PERCENT_BAND,
        };
        if self.comparison.upward() { value < self.threshold - band } else { value > self.threshold + band }
    }
}

/// Where one rule stands on one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertState {
    /// Whether its alert is open.
    pub open: bool,
    /// Since when the condition holds without an open alert (ms).
    pub breaching_since: Option<i64>,
    /// Since when an open alert's condition is clear (ms).
    pub clearing_since: Option<i64>,
}

/// What a tick changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The alert opens.
    Open,
    /// The alert resolves.
    Resolve,
}

/// One tick at `now_ms` with `value` (`None`: nothing measured).
pub fn step(cond: &Condition, state: &mut AlertState, now_ms: i64, value: Option<f64>) -> Option<Transition> {
    let value = value?;
    if state.open {
        if !cond.cleared(value) {
            state.clearing_since = None;
            return None;
        }
        let since = *state.clearing_since.get_or_insert(now_ms);
        if now_ms - since >= cond.duration_ms {
            *state = AlertState::default();
            return Some(Transition::Resolve);
        }
        return None;
    }
    if !cond.breached(value) {
        state.breaching_since = None;
        return None;
    }
    let since = *state.breaching_since.get_or_insert(now_ms);
    if now_ms - since >= cond.duration_ms {
        *state = AlertState { open: true, ..AlertState::default() };
        return Some(Transition::Open);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu_over_90_for(duration_ms: i64) -> Condition {
        Condition { metric: RuleMetric::Cpu, comparison: Comparison::Gt, threshold: 90.0, duration_ms }
    }

    /// Feeds one value per second from t = 0; returns the ticks' transitions.
    fn run(cond: &Condition, values: &[Option<f64>]) -> Vec<Option<Transition>> {
        let mut state = AlertState::default();
        values.iter().enumerate().map(|(i, v)| step(cond, &mut state, i as i64 * 1000, *v)).collect()
    }

    use Transition::{Open, Resolve};

    #[test]
    fn names_and_symbols_read_back() {
        for name in RuleMetric::NAMES {
            assert_eq!(RuleMetric::parse(name).map(RuleMetric::name), Some(name));
        }
        for symbol in Comparison::SYMBOLS {
            assert_eq!(Comparison::parse(symbol).map(Comparison::symbol), Some(symbol));
        }
        assert_eq!((RuleMetric::parse("gpu"), Comparison::parse("!=")), (None, None));
    }

    #[test]
    fn an_alert_opens_only_when_the_condition_is_sustained() {
        let cond = cpu_over_90_for(3000);
        let spikes = run(&cond, &[Some(95.0), Some(96.0), Some(50.0), Some(95.0), Some(95.0), Some(50.0)]);
        assert!(spikes.iter().all(Option::is_none), "short spikes do not open: {spikes:?}");
        let sustained = run(&cond, &[Some(95.0), Some(95.0), Some(95.0), Some(95.0), Some(99.0)]);
        assert_eq!(sustained, [None, None, None, Some(Open), None], "open once, after the full duration");
        let immediate = run(&cpu_over_90_for(0), &[Some(91.0), Some(92.0)]);
        assert_eq!(immediate, [Some(Open), None]);
    }

    #[test]
    fn hysteresis_keeps_a_hovering_value_from_flapping() {
        let cond = cpu_over_90_for(0);
        let hover = run(&cond, &[Some(91.0), Some(89.0), Some(91.0), Some(88.0), Some(90.5), Some(85.5)]);
        assert_eq!(hover, [Some(Open), None, None, None, None, None], "inside the band nothing changes");
        let clears = run(&cond, &[Some(91.0), Some(84.9), Some(91.0)]);
        assert_eq!(clears, [Some(Open), Some(Resolve), Some(Open)]);
    }

    #[test]
    fn an_alert_resolves_after_a_full_duration_clear() {
        let cond = cpu_over_90_for(2000);
        let ticks = [95.0, 95.0, 95.0, 10.0, 10.0, 87.0, 10.0, 10.0, 10.0].map(Some);
        assert_eq!(
            run(&cond, &ticks),
            [None, None, Some(Open), None, None, None, None, None, Some(Resolve)],
            "a value back in the band restarts the clearing"
        );
        let gaps = run(&cond, &[Some(95.0), None, Some(95.0), None, Some(95.0)]);
        assert_eq!(gaps, [None, None, Some(Open), None, None], "a tick without a value holds the state");
    }

    #[test]
    fn unreachable_counts_failed_ticks_and_resolves_on_success() {
        let cond =
            Condition { metric: RuleMetric::Unreachable, comparison: Comparison::Ge, threshold: 2.0, duration_ms: 0 };
        let ticks = [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 1.0].map(Some);
        assert_eq!(run(&cond, &ticks), [None, None, Some(Open), None, None, Some(Resolve), None]);
        let below = Condition { metric: RuleMetric::Disk, comparison: Comparison::Lt, threshold: 10.0, duration_ms: 0 };
        assert_eq!(run(&below, &[Some(9.0), Some(14.0), Some(15.5)]), [Some(Open), None, Some(Resolve)]);
        let load = Condition { metric: RuleMetric::Load, comparison: Comparison::Ge, threshold: 4.0, duration_ms: 0 };
        assert_eq!(run(&load, &[Some(4.0), Some(3.9), Some(3.7)]), [Some(Open), None, Some(Resolve)]);
    }
}
