//! Cron expressions (5 fields, or 6 with seconds first) read in a time zone, and the missed-run rule.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use slipway_core::Error;
use slipway_core::config::MissedRuns;

/// A due time older than this when a scheduler gets to it counts as missed (the node was down, not just
/// busy); younger ones fire one by one, late.
pub const MISSED_AFTER: Duration = Duration::seconds(10);

/// A parsed cron expression in its time zone.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    tz: Tz,
}

impl CronSchedule {
    /// Parses `expr` (5 fields, or 6 with seconds first) in the IANA zone `timezone`; errors name the field.
    pub fn parse(expr: &str, timezone: &str) -> Result<Self, Error> {
        let fields = expr.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(Error::invalid_field(
                "cron",
                "value_error",
                format!("cron expression {expr:?} has {fields} fields; expected 5, or 6 with seconds first"),
            ));
        }
        let parser = CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).build();
        let cron = parser.parse(expr).map_err(|e| {
            Error::invalid_field("cron", "value_error", format!("invalid cron expression {expr:?}: {e}"))
        })?;
        let tz: Tz = timezone
            .parse()
            .map_err(|_| Error::invalid_field("timezone", "value_error", format!("unknown time zone {timezone:?}")))?;
        Ok(Self { cron, tz })
    }

    /// The first due time strictly after `t`, if any.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&t.with_timezone(&self.tz), false).ok().map(|d| d.with_timezone(&Utc))
    }

    /// The last due time at or before `t`, if any.
    pub fn last_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&t.with_timezone(&self.tz), true).ok().map(|d| d.with_timezone(&Utc))
    }
}

/// What a scheduler does with a schedule whose next due time has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Firing {
    /// Enqueue one job for `due`, then wait for `next`.
    Run { due: DateTime<Utc>, next: Option<DateTime<Utc>> },
    /// Enqueue nothing (missed times skipped); wait for `next`.
    Skip { next: Option<DateTime<Utc>> },
}

/// Decides what to do about `due` at `now`. A due time younger than [`MISSED_AFTER`] runs. Older ones were
/// missed: all those up to `now - MISSED_AFTER` are run once together (`once`, as the latest of them) or
/// skipped (`skip`); later ones are then handled one by one.
pub(crate) fn plan(cron: &CronSchedule, due: DateTime<Utc>, now: DateTime<Utc>, policy: MissedRuns) -> Firing {
    let cutoff = now - MISSED_AFTER;
    if due >= cutoff {
        return Firing::Run { due, next: cron.next_after(due) };
    }
    let last_missed = cron.last_at_or_before(cutoff).filter(|t| *t >= due).unwrap_or(due);
    match policy {
        MissedRuns::Once => Firing::Run { due: last_missed, next: cron.next_after(last_missed) },
        MissedRuns::Skip => Firing::Skip { next: cron.next_after(last_missed) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn five_and_six_fields_in_a_time_zone() {
        let every_min = CronSchedule::parse("*/15 * * * *", "UTC").unwrap();
        assert_eq!(every_min.next_after(t("2026-01-01T10:07:00Z")), Some(t("2026-01-01T10:15:00Z")));
        let every_sec = CronSchedule::parse("* * * * * *", "UTC").unwrap();
        assert_eq!(every_sec.next_after(t("2026-01-01T10:07:00Z")), Some(t("2026-01-01T10:07:01Z")));
        let paris = CronSchedule::parse("0 9 * * *", "Europe/Paris").unwrap();
        assert_eq!(paris.next_after(t("2026-01-01T00:00:00Z")), Some(t("2026-01-01T08:00:00Z")));
        assert_eq!(paris.next_after(t("2026-07-01T00:00:00Z")), Some(t("2026-07-01T07:00:00Z")), "summer time");
    }

    #[test]
    fn bad_expressions_name_the_field() {
        for bad in ["* * * *", "* * * * * * *", "61 * * * *", "nonsense"] {
            let err = CronSchedule::parse(bad, "UTC").unwrap_err();
            assert_eq!(err.field_errors()[0].field(), "cron", "{bad}: {err}");
        }
        let err = CronSchedule::parse("* * * * *", "Mars/Olympus").unwrap_err();
        assert_eq!(err.field_errors()[0].field(), "timezone");
    }

    #[test]
    fn on_time_and_slightly_late_due_times_run_one_by_one() {
        let c = CronSchedule::parse("* * * * * *", "UTC").unwrap();
        let now = t("2026-01-01T10:00:05Z");
        let due = t("2026-01-01T10:00:01Z");
        assert_eq!(plan(&c, due, now, MissedRuns::Skip), Firing::Run { due, next: Some(t("2026-01-01T10:00:02Z")) });
    }

    #[test]
    fn missed_due_times_run_once_or_are_skipped() {
        let c = CronSchedule::parse("*/5 * * * *", "UTC").unwrap();
        let due = t("2026-01-01T08:00:00Z");
        let now = t("2026-01-01T10:02:00Z");
        assert_eq!(
            plan(&c, due, now, MissedRuns::Once),
            Firing::Run { due: t("2026-01-01T10:00:00Z"), next: Some(t("2026-01-01T10:05:00Z")) }
        );
        assert_eq!(plan(&c, due, now, MissedRuns::Skip), Firing::Skip { next: Some(t("2026-01-01T10:05:00Z")) });
    }
}
