use super::*;
use smoke_core::prelude::ProbeReport;
use std::time::Duration;

const T0: i64 = 1_750_000_000 / HOUR * HOUR;

/// A tick of `probes`, each as its name, outcome, duration in microseconds and whether quiet.
fn tick_us(second: i64, probes: &[(&str, Outcome, u64, bool)]) -> RunReport {
    let mut r = RunReport::made(
        "herodemo",
        "internal",
        Timestamp::from_second(second).unwrap(),
        probes
            .iter()
            .map(|(name, outcome, us, quiet)| {
                let mut p = ProbeReport::new(*name);
                p.set_outcome(*outcome);
                p.set_duration(Duration::from_micros(*us));
                p.mute(quiet.then(|| "maintenance".to_string()));
                p
            })
            .collect(),
    );
    r.set_every(Some(Duration::from_secs(60)));
    r.set_duration(Duration::from_millis(20));
    r
}

/// [`tick_us`] of durations in milliseconds.
fn tick(second: i64, probes: &[(&str, Outcome, u64, bool)]) -> RunReport {
    let us: Vec<_> = probes
        .iter()
        .map(|(name, outcome, ms, quiet)| (*name, *outcome, ms * 1000, *quiet))
        .collect();
    tick_us(second, &us)
}

#[test]
fn hours_count_outcomes_leave_quiet_ticks_out_and_keep_a_median() {
    let mut r = Rollup::default();
    // Hour 0: 4 ok at 10..40 ms, 1 degraded, 1 fail, 1 error, 2 quiet fails.
    for (i, (o, quiet)) in [
        (Outcome::Ok, false),
        (Outcome::Ok, false),
        (Outcome::Ok, false),
        (Outcome::Ok, false),
        (Outcome::Degraded, false),
        (Outcome::Fail, false),
        (Outcome::Error, false),
        (Outcome::Fail, true),
        (Outcome::Fail, true),
    ]
    .into_iter()
    .enumerate()
    {
        r.record(&tick(T0 + 60 * i as i64, &[("a", o, 100, quiet)]), true);
    }
    let a = &r.probes["a"];
    assert_eq!(
        a.hour(T0 / HOUR),
        Hour {
            ticks: 9,
            ok: 4,
            degraded: 1,
            fail: 2,
            p50_us: a.hour(T0 / HOUR).p50_us
        }
    );
    let p50 = a.hour(T0 / HOUR).p50_us;
    assert!((92_000..=109_000).contains(&p50), "{p50}");
    let end = Timestamp::from_second(T0 + 3000).unwrap();
    let up = a.uptime(end, 24).unwrap();
    assert!((up - 5.0 / 7.0).abs() < 1e-9, "{up}");
    assert_eq!(r.every_s, Some(60));
    assert_eq!(r.panel.as_deref(), Some("herodemo"));
}

#[test]
fn a_median_within_an_eighth_and_gaps_are_no_ticks() {
    let mut r = Rollup::default();
    for (i, ms) in [5u64, 7, 1200, 1300, 1250, 9000, 20]
        .into_iter()
        .enumerate()
    {
        r.record(&tick(T0 + i as i64, &[("a", Outcome::Ok, ms, false)]), true);
    }
    // Three hours later, one more tick.
    r.record(
        &tick(T0 + 3 * HOUR, &[("a", Outcome::Fail, 3, false)]),
        true,
    );
    let a = &r.probes["a"];
    let end = Timestamp::from_second(T0 + 3 * HOUR).unwrap();
    let series = a.p50_series(end, 5);
    assert_eq!(series.len(), 5);
    assert_eq!(series[0], None, "before the first hour");
    let first = series[1].unwrap();
    assert!((1_090_000..=1_380_000).contains(&first), "{first}");
    assert_eq!(&series[2..4], &[None, None]);
    assert!(series[4].unwrap() <= 4000);
    assert_eq!(a.uptime(end, 1), Some(0.0));
    assert_eq!(a.uptime(end, 24), Some(7.0 / 8.0));
}

#[test]
fn the_window_is_bounded_and_probes_that_left_are_dropped() {
    let mut r = Rollup::default();
    for h in 0..(KEEP_HOURS as i64 + 50) {
        r.record(
            &tick(
                T0 + h * HOUR,
                &[("a", Outcome::Ok, 10, false), ("b", Outcome::Ok, 10, false)],
            ),
            true,
        );
    }
    let a = &r.probes["a"];
    assert_eq!(a.ticks.len(), KEEP_HOURS);
    assert_eq!(a.start, T0 / HOUR + 50);
    // A tick with --only keeps b; a whole-panel tick without it drops it.
    let last = T0 + (KEEP_HOURS as i64 + 50) * HOUR;
    r.record(&tick(last, &[("a", Outcome::Ok, 10, false)]), false);
    assert!(r.probes.contains_key("b"));
    r.record(&tick(last + 60, &[("a", Outcome::Ok, 10, false)]), true);
    assert!(!r.probes.contains_key("b"));
    // Silent for two months, then back: it starts over instead of holding zeros.
    r.record(
        &tick(last + 60 * 24 * HOUR, &[("a", Outcome::Ok, 10, false)]),
        true,
    );
    assert_eq!(r.probes["a"].ticks.len(), 1);
}

#[test]
fn saved_and_loaded_whole_and_a_broken_file_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Rollup::default();
    r.record(&tick(T0, &[("a", Outcome::Ok, 10, false)]), true);
    r.save(dir.path()).unwrap();
    assert_eq!(Rollup::load(dir.path()).unwrap(), r);
    std::fs::write(dir.path().join(FILE), "{\"version\":1,\"probes\":{\"a\":{\"start\":1,\"ticks\":[1],\"ok\":[],\"degraded\":[],\"fail\":[],\"p50_ms\":[]}}}").unwrap();
    let e = Rollup::load(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("rollup.json is unreadable (a probe's columns are of unequal length)"),
        "{e}"
    );
    std::fs::write(dir.path().join(FILE), "not json").unwrap();
    assert!(Rollup::load(dir.path())
        .unwrap_err()
        .to_string()
        .contains("is unreadable"));
    std::fs::write(dir.path().join(FILE), "{\"version\":7}").unwrap();
    assert!(Rollup::load(dir.path())
        .unwrap_err()
        .to_string()
        .contains("is version 7, this smoke reads 2"));
    let empty = Rollup::load(&dir.path().join("nowhere")).unwrap();
    assert!(empty.probes.is_empty());
}

#[test]
fn numbers_no_loop_writes_are_refused_before_any_arithmetic() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Rollup::default();
    r.record(&tick(T0, &[("a", Outcome::Ok, 10, false)]), true);
    let good = serde_json::to_value(&r).unwrap();
    let max = smoke_core::engine::MAX_DURATION.as_secs();
    for every in [0, max + 1, u64::MAX] {
        let mut v = good.clone();
        v["every_s"] = every.into();
        std::fs::write(dir.path().join(FILE), v.to_string()).unwrap();
        let e = Rollup::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&format!("every_s {every} is no loop period")),
            "{e}"
        );
    }
    for start in [i64::MAX, i64::MIN] {
        let mut v = good.clone();
        v["probes"]["a"]["start"] = start.into();
        std::fs::write(dir.path().join(FILE), v.to_string()).unwrap();
        let e = Rollup::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("start hour {start} is no hour")), "{e}");
    }
    let mut v = good.clone();
    v["every_s"] = max.into();
    std::fs::write(dir.path().join(FILE), v.to_string()).unwrap();
    assert_eq!(Rollup::load(dir.path()).unwrap().every_s, Some(max));
}

#[test]
fn a_median_under_a_millisecond_is_kept() {
    let mut r = Rollup::default();
    for (i, us) in [380u64, 400, 410, 420, 2_000].into_iter().enumerate() {
        r.record(
            &tick_us(T0 + i as i64, &[("a", Outcome::Ok, us, false)]),
            true,
        );
    }
    let p50 = r.probes["a"].hour(T0 / HOUR).p50_us;
    assert!((370..=440).contains(&p50), "{p50}");
}

/// A rollup as smoke wrote it before latencies were kept in microseconds: version 1, medians
/// (`p50_ms`) and bins in milliseconds. Bin 27 holds 100 ms: the latest hour's three ticks.
const VERSION_1: &str = r#"{"version":1,"panel":"herodemo","mode":"internal","every_s":60,
"last_tick":"2025-06-15T16:00:00Z","probes":{"a":{"start":486110,"ticks":[60,0,3],
"ok":[60,0,3],"degraded":[0,0,0],"fail":[0,0,0],"p50_ms":[1250,0,100],"open":[[27,3]]}}}"#;

#[test]
fn a_version_1_file_is_read_in_microseconds_and_carried_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE), VERSION_1).unwrap();
    let mut r = Rollup::load(dir.path()).unwrap();
    assert_eq!(r.version, VERSION);
    assert_eq!(r.every_s, Some(60));
    let a = &r.probes["a"];
    assert_eq!(a.p50_us, [1_250_000, 0, 100_000]);
    assert_eq!(a.ticks, [60, 0, 3]);
    assert_eq!(a.open, [(bin_of(100_000), 3)]);
    // The hour goes on where the old file left it: two more ticks at 100 ms, one median.
    let hour = 486_112 * HOUR;
    for i in 0..2 {
        r.record(
            &tick(hour + 60 + i, &[("a", Outcome::Ok, 100, false)]),
            true,
        );
    }
    let a = &r.probes["a"];
    assert_eq!(a.open, [(bin_of(100_000), 5)]);
    assert!((92_000..=109_000).contains(&a.p50_us[2]), "{:?}", a.p50_us);
    // Saved in the new format, read back whole.
    r.save(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
    assert!(
        text.contains("\"version\":2") && text.contains("\"p50_us\""),
        "{text}"
    );
    assert_eq!(Rollup::load(dir.path()).unwrap(), r);
}

#[test]
fn every_bin_of_milliseconds_has_its_own_of_microseconds() {
    let mut old = Rollup {
        version: VERSION_MS,
        ..Rollup::default()
    };
    old.probes.insert(
        "a".into(),
        Series {
            open: (0..BINS_MS as u16).map(|b| (b, 1)).collect(),
            ..Series::default()
        },
    );
    old.convert_ms();
    let bins: Vec<u16> = old.probes["a"].open.iter().map(|(b, _)| *b).collect();
    assert!(bins.windows(2).all(|w| w[0] < w[1]), "{bins:?}");
    assert_eq!(usize::from(*bins.last().unwrap()), BINS - 1);
    let count: u32 = old.probes["a"].open.iter().map(|(_, n)| n).sum();
    assert_eq!(count, BINS_MS as u32, "no tick lost");
    // 100 ms, 1 s: the bin of the same latency, measured in microseconds.
    assert_eq!(bins[27], bin_of(100_000));
    assert_eq!(bins[40], bin_of(1_000_000));
}
